/**
 * What counts as a site's real e-mail address. The seed gives every site a placeholder under
 * its own domain (`xa-<code>@diemcau.hoinghi.local`) so a fresh install can show the whole flow
 * in the local mail folder; nobody reads those mailboxes, so the directory and the scheduling
 * form count a site whose only addresses are placeholders as having no address at all.
 */
import { z } from 'zod';
import { SEED_MAIL_DOMAIN } from '../../db/seed.ts';

const email = z.email();

export function isPlaceholderAddress(address: string): boolean {
  return address.trim().toLowerCase().endsWith(`@${SEED_MAIL_DOMAIN}`);
}

export function isValidAddress(address: string): boolean {
  return email.safeParse(address.trim()).success;
}

/** At least one valid address that is not a seed placeholder. */
export function hasRealAddress(contactEmails: readonly string[]): boolean {
  return contactEmails.some((address) => isValidAddress(address) && !isPlaceholderAddress(address));
}

/**
 * A cell or a textarea of addresses as people write them: separated by semicolons, commas,
 * spaces or new lines (Outlook and Excel users use all of them). Each once, in order.
 */
export function splitAddresses(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of text.normalize('NFC').split(/[;,\s]+/)) {
    const address = part.trim();
    if (!address || seen.has(address.toLowerCase())) continue;
    seen.add(address.toLowerCase());
    out.push(address);
  }
  return out;
}
