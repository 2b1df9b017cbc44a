/**
 * The one text mechanism: each feature declares a namespace of texts with `defineTexts` (both
 * languages for every key) and reads it through `translator(namespace, lang)`, a typed
 * `t(key, params)`. The types make a wrong key, a missing parameter, an unknown parameter, or a
 * translation whose `{placeholders}` differ from the Vietnamese one a compile error.
 *
 * Namespaces are plain objects in the feature's own `texts.ts`, so a browser bundle carries only
 * the namespaces its page imports. This module imports nothing at run time for the same reason.
 */

export type Lang = 'vi' | 'en';
export const LANGS = ['vi', 'en'] as const satisfies readonly Lang[];

export function isLang(value: unknown): value is Lang {
  return (LANGS as readonly unknown[]).includes(value);
}

/** A language tag from a query, cookie or <html lang>; Vietnamese unless it names another we offer. */
export function parseLang(value: unknown): Lang {
  return isLang(value) ? value : 'vi';
}

export interface Text {
  vi: string;
  en: string;
}
export type Namespace = Record<string, Text>;

/** "{late} min after {start}" → "late" | "start". */
export type Placeholders<S extends string> = string extends S ? never : S extends `${string}{${infer Name}}${infer Rest}` ? Name | Placeholders<Rest> : never;

type TextPlaceholders<E extends Text> = Placeholders<E['vi']> | Placeholders<E['en']>;

type SamePlaceholders<E extends Text> = [Placeholders<E['vi']>] extends [Placeholders<E['en']>]
  ? [Placeholders<E['en']>] extends [Placeholders<E['vi']>]
    ? E
    : { en: 'must use the same {placeholders} as vi' }
  : { vi: 'must use the same {placeholders} as en' };

type Checked<N extends Namespace> = { [K in keyof N]: SamePlaceholders<N[K]> };

/** Declares a namespace; the type keeps every text literal so `t` can check parameters. */
export function defineTexts<const N extends Namespace>(texts: N & Checked<N>): N {
  return texts;
}

export type ParamValue = string | number;
type ParamsOf<E extends Text> = [TextPlaceholders<E>] extends [never] ? [] : [params: { [P in TextPlaceholders<E>]: ParamValue }];

export type Translate<N extends Namespace> = <K extends keyof N & string>(key: K, ...params: ParamsOf<N[K]>) => string;

/**
 * Numbers given as parameters are written the way the language writes them ("1.234,5" in
 * Vietnamese). Six decimals at most: a threshold computed as 0.7 * 100 reads "70", not
 * "70,00000000000001".
 */
export function formatParam(value: ParamValue, lang: Lang): string {
  if (typeof value === 'string') return value;
  paramFormats[lang] ??= new Intl.NumberFormat(locale(lang), { maximumFractionDigits: 6 });
  return paramFormats[lang].format(value);
}

const paramFormats: Partial<Record<Lang, Intl.NumberFormat>> = {};

// British English writes dates day first, as Vietnamese does.
const LOCALES = { vi: 'vi-VN', en: 'en-GB' } as const satisfies Record<Lang, string>;

export function locale(lang: Lang): (typeof LOCALES)[Lang] {
  return LOCALES[lang];
}

export function translator<N extends Namespace>(texts: N, lang: Lang): Translate<N> {
  return ((key: string, params?: Record<string, ParamValue>) => {
    const text = texts[key]![lang];
    if (params === undefined) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? formatParam(params[name]!, lang) : whole));
  }) as Translate<N>;
}

/** The other language, for the switch link in the page header. */
export function otherLang(lang: Lang): Lang {
  return OTHER_LANG[lang];
}

const OTHER_LANG: Record<Lang, Lang> = { vi: 'en', en: 'vi' };
