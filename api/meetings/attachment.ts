/**
 * The document an office sends with a meeting: one PDF per meeting (the signed invitation letter
 * or the agenda), up to ATTACHMENT_MAX_BYTES. What makes a file acceptable is decided here, for
 * the API (raw body) and the pages (a form's file field) alike; storing it is the meeting
 * service's job, inside the change that announces it to the sites.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client.ts';
import { meetingAttachments } from '../../db/schema.ts';
import { PayloadTooLargeError, ValidationError } from '../errors.ts';

export const ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;
export const ATTACHMENT_CONTENT_TYPE = 'application/pdf';

/** A checked attachment, ready to store. */
export interface AttachmentUpload {
  fileName: string;
  content: Uint8Array;
  sha256: string;
}

/** What the pages and the outbox show of an attachment, without its content. */
export interface AttachmentInfo {
  fileName: string;
  sizeBytes: number;
  sha256: string;
  uploadedAt: Date;
}

// A name as people see it in their mail client: no path, no control characters, not empty.
const fileNameSchema = z
  .string()
  .transform((name) =>
    name
      .split(/[\\/]/)
      .pop()!
      .replace(/[\u0000-\u001f\u007f"]/g, '')
      .normalize('NFC')
      .trim(),
  )
  .pipe(z.string().min(1).max(200));

/**
 * Checks a file before it is stored: a PDF (by its first bytes, whatever the client called it),
 * not empty, not larger than ATTACHMENT_MAX_BYTES. The name gets ".pdf" if it lacks it.
 */
export function checkAttachment(fileName: string, content: Uint8Array): AttachmentUpload {
  if (content.byteLength > ATTACHMENT_MAX_BYTES) throw new PayloadTooLargeError(ATTACHMENT_MAX_BYTES);
  if (content.byteLength === 0) throw new ValidationError('The attached file is empty', { reason: 'attachment_empty' });
  if (!isPdf(content)) throw new ValidationError('The attachment must be a PDF file', { reason: 'attachment_not_pdf' });
  const name = fileNameSchema.safeParse(fileName);
  const base = name.success ? name.data : 'giay-moi.pdf';
  return {
    fileName: /\.pdf$/i.test(base) ? base : `${base}.pdf`,
    content,
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}

/** "%PDF-" within the first 1,024 bytes, as PDF readers accept it. */
function isPdf(content: Uint8Array): boolean {
  return Buffer.from(content.subarray(0, 1024)).includes('%PDF-');
}

const infoColumns = {
  fileName: meetingAttachments.fileName,
  sizeBytes: meetingAttachments.sizeBytes,
  sha256: meetingAttachments.sha256,
  uploadedAt: meetingAttachments.uploadedAt,
};

export async function attachmentInfo(db: Executor, meetingId: string): Promise<AttachmentInfo | null> {
  const [row] = await db.select(infoColumns).from(meetingAttachments).where(eq(meetingAttachments.meetingId, meetingId)).limit(1);
  return row ?? null;
}

export async function attachmentContent(db: Executor, meetingId: string): Promise<(AttachmentInfo & { content: Uint8Array }) | null> {
  const [row] = await db
    .select({ ...infoColumns, content: meetingAttachments.content })
    .from(meetingAttachments)
    .where(eq(meetingAttachments.meetingId, meetingId))
    .limit(1);
  return row ?? null;
}

/**
 * A download reply: the PDF under its own name (RFC 6266 filename* for Vietnamese names, an ASCII
 * fallback for old clients), cached by content.
 */
export function attachmentResponse(attachment: AttachmentInfo & { content: Uint8Array }, ifNoneMatch: string | undefined): Response {
  const etag = `"${attachment.sha256}"`;
  const headers = {
    'Content-Type': ATTACHMENT_CONTENT_TYPE,
    'Content-Disposition': `attachment; filename="${asciiFallback(attachment.fileName)}"; filename*=UTF-8''${encodeURIComponent(attachment.fileName)}`,
    ETag: etag,
    'Cache-Control': 'private, no-cache',
    'X-Content-Type-Options': 'nosniff',
  };
  if (ifNoneMatch === etag) return new Response(null, { status: 304, headers });
  return new Response(Buffer.from(attachment.content), { status: 200, headers: { ...headers, 'Content-Length': String(attachment.content.byteLength) } });
}

function asciiFallback(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^\x20-\x7e]|"/g, '_');
}
