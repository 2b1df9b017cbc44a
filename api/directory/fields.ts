/**
 * The directory fields of a site, one schema for the form, the JSON API and every imported
 * line, so a value accepted in one place is accepted in all and exports back unchanged.
 * Empty text means "none" (null); addresses are a list (the first is the calendar ATTENDEE).
 */
import { z } from 'zod';
import { humanText } from '../validation.ts';

export const MAX_ADDRESSES = 10;

/**
 * Optional free text: blank becomes null, anything else must be humanText. Line breaks are
 * stored as LF, as Excel writes them inside a cell and an .xlsx reader returns them.
 */
function optionalText(maxLength: number) {
  return z
    .string()
    .nullable()
    .transform((value, ctx) => {
      if (value === null || value.trim() === '') return null;
      const parsed = humanText(maxLength).safeParse(value.replace(/\r\n?/g, '\n'));
      if (parsed.success) return parsed.data;
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
      return z.NEVER;
    });
}

const PHONE = /^[0-9+()./\s,;-]+$/;

export const contactEmails = z
  .array(z.string().trim().max(254, 'an e-mail address is at most 254 characters').pipe(z.email('is not a valid e-mail address')))
  .max(MAX_ADDRESSES, `at most ${MAX_ADDRESSES} e-mail addresses`)
  .transform((list) => list.filter((address, i) => list.findIndex((other) => other.toLowerCase() === address.toLowerCase()) === i));

export const contactPhone = optionalText(100).refine(
  (phone) => phone === null || (PHONE.test(phone) && (phone.match(/\d/g)?.length ?? 0) >= 3),
  'must be a phone number: digits, spaces, + ( ) . / - and commas between several numbers',
);

export const directoryFields = z.object({
  contactEmails,
  contactPhone,
  responsiblePerson: optionalText(200),
  hallAddress: optionalText(500),
  note: optionalText(2000),
  active: z.boolean(),
});
export type DirectoryFields = z.output<typeof directoryFields>;
export type DirectoryField = keyof DirectoryFields;
export const DIRECTORY_FIELDS = Object.keys(directoryFields.shape) as DirectoryField[];

/** PATCH /api/directory/sites/:id: any subset of the fields. */
export const directoryUpdateInput = directoryFields
  .partial()
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'nothing to change');
export type DirectoryUpdateInput = z.output<typeof directoryUpdateInput>;
