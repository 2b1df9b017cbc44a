/**
 * Numbers as each language writes them, through Intl.NumberFormat: "1.234,5" and "61,5%" in
 * Vietnamese, "1,234.5" and "61.5%" in English. A dash stands for a figure that does not exist.
 */
import { locale, type Lang } from './translator.ts';

const MISSING = '–';
const cache = new Map<string, Intl.NumberFormat>();

function numberFormat(lang: Lang, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${lang}|${JSON.stringify(options)}`;
  let format = cache.get(key);
  if (format === undefined) {
    format = new Intl.NumberFormat(locale(lang), options);
    cache.set(key, format);
  }
  return format;
}

/** A measured figure with a fixed number of decimals: "12,5" / "12.5". */
export function formatNumber(value: number | null | undefined, digits: number, lang: Lang): string {
  if (value === null || value === undefined) return MISSING;
  return numberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

/** A configured figure such as a threshold, with the digits it has (six at most): "0,1" / "0.1". */
export function formatFigure(value: number, lang: Lang): string {
  return numberFormat(lang, { maximumFractionDigits: 6 }).format(value);
}

/** A fraction as a percentage with one decimal: 0.615 → "61,5%" / "61.5%". */
export function formatPercent(fraction: number | null, lang: Lang): string {
  if (fraction === null) return MISSING;
  return numberFormat(lang, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(fraction);
}

/** A file's size in megabytes with one decimal ("2,4 MB"), or kilobytes below one megabyte ("850 kB"). */
export function formatFileSize(bytes: number, lang: Lang): string {
  if (bytes >= 1024 * 1024) return `${formatNumber(bytes / 1024 / 1024, 1, lang)} MB`;
  return `${formatNumber(Math.max(1, Math.round(bytes / 1024)), 0, lang)} kB`;
}
