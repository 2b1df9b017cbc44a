/**
 * Content-Disposition for downloads named in Vietnamese. Browsers that read RFC 6266 take the
 * UTF-8 `filename*` (RFC 5987); the plain `filename` is an ASCII fallback with the diacritics
 * taken off ("Điểm danh" → "Diem danh"), because a raw non-ASCII header value is mangled by
 * some proxies and refused by others.
 */

/** Characters no file system or header should see in a name. */
const UNSAFE = /[\u0000-\u001f\u007f"*/:<>?\\|]+/g;

export function safeFileName(name: string, maxLength = 120): string {
  const cleaned = name.normalize('NFC').replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  return [...cleaned].slice(0, maxLength).join('').trim() || 'download';
}

export function asciiFileName(name: string): string {
  return safeFileName(name)
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/[%;,]/g, '_');
}

export function attachmentDisposition(fileName: string): string {
  const name = safeFileName(fileName);
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${asciiFileName(name)}"; filename*=UTF-8''${encoded}`;
}
