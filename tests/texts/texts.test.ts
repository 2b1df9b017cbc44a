/**
 * The one text mechanism, checked across the tree: every namespace has both languages with the
 * same {placeholders}; the compiler refuses a wrong key, a missing or unknown parameter and a
 * translation whose placeholders differ; and no inline `lang === 'vi' ? … : …` text or hand-made
 * decimal comma is left in api/ or web/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { attendanceLedgerTexts } from '../../api/attendance/texts.ts';
import { formatFigure, formatNumber, formatPercent } from '../../api/i18n/format.ts';
import { term } from '../../api/i18n/glossary.ts';
import { LANGS, translator, type Namespace } from '../../api/i18n/translator.ts';
import { inviteTexts } from '../../api/invites/texts.ts';
import { timeTexts } from '../../api/time.ts';
import { attendanceTexts } from '../../web/attendance/texts.ts';
import { accountTexts, authTexts } from '../../web/auth/texts.ts';
import { auditTexts } from '../../web/audit/texts.ts';
import { commonTexts, errorPageTexts, errorTexts } from '../../web/common/texts.ts';
import { conferenceTexts } from '../../web/conference/texts.ts';
import { invitePageTexts } from '../../web/invites/texts.ts';
import { meetingTexts } from '../../web/meetings/texts.ts';

const root = join(import.meta.dirname, '..', '..');

const namespaces: Record<string, Namespace> = {
  glossary: term,
  'api/time': timeTexts,
  'api/invites': inviteTexts,
  'api/attendance': attendanceLedgerTexts,
  'web/common': commonTexts,
  'web/common errors': errorTexts,
  'web/auth': authTexts,
  'web/auth accounts': accountTexts,
  'web/common error pages': errorPageTexts,
  'web/audit': auditTexts,
  'web/meetings': meetingTexts,
  'web/invites': invitePageTexts,
  'web/attendance': attendanceTexts,
  'web/conference': conferenceTexts,
};

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('text namespaces', () => {
  it.each(Object.entries(namespaces))('%s has every key in both languages with the same placeholders', (_name, texts) => {
    expect(Object.keys(texts).length).toBeGreaterThan(0);
    for (const [key, text] of Object.entries(texts)) {
      for (const lang of LANGS) expect(text[lang].trim(), `${key}.${lang}`).not.toBe('');
      expect(placeholders(text.en), key).toEqual(placeholders(text.vi));
    }
  });

  it('names the host site with the glossary term everywhere it is named', () => {
    const hostLike = /điểm cầu chính|^chủ trì$/i;
    for (const [name, texts] of Object.entries(namespaces)) {
      for (const [key, text] of Object.entries(texts)) expect(text.vi, `${name} ${key}`).not.toMatch(hostLike);
    }
    expect(translator(attendanceLedgerTexts, 'vi')('role.host')).toBe('Điểm cầu chủ trì');
    expect(translator(inviteTexts, 'vi')('hostSite')).toBe('Điểm cầu chủ trì');
    expect(translator(commonTexts, 'vi')('hostSite')).toBe('Điểm cầu chủ trì');
  });

  it('fills parameters once, writing numbers the way the language does', () => {
    const t = translator(attendanceTexts, 'vi');
    expect(t('showingFirst', { n: 1500 })).toBe('Hiển thị 1.500 dòng đầu; chọn một tỉnh để xem đủ.');
    expect(translator(attendanceTexts, 'en')('showingFirst', { n: 1500 })).toBe('Showing the first 1,500 rows; choose a province to see all.');
    expect(translator(attendanceTexts, 'vi')('chronicRule', { n: 3, rate: 0.7 * 100, min: 4 })).toContain('dưới 70%');
    // A value that looks like a placeholder is text, not a second substitution.
    expect(translator(inviteTexts, 'vi')('leadWithdrawal', { site: '{site}' })).toContain('Điểm cầu {site} không còn');
  });

  it('formats numbers and percentages with Intl', () => {
    expect(formatPercent(0.615, 'vi')).toBe('61,5%');
    expect(formatPercent(0.615, 'en')).toBe('61.5%');
    expect(formatPercent(null, 'vi')).toBe('–');
    expect(formatNumber(1234.5, 1, 'vi')).toBe('1.234,5');
    expect(formatNumber(1234.5, 1, 'en')).toBe('1,234.5');
    expect(formatFigure(0.1, 'vi')).toBe('0,1');
  });
});

describe('t() is checked by the compiler', () => {
  // A small program over the real translator: each snippet must fail to compile, the control must not.
  const probes = {
    control: `const t = translator(ns, 'vi'); t('plain'); t('withParam', { n: 1 });`,
    unknownKey: `const t = translator(ns, 'vi'); t('nope');`,
    missingParams: `const t = translator(ns, 'vi'); t('withParam');`,
    unknownParam: `const t = translator(ns, 'vi'); t('withParam', { n: 1, m: 2 });`,
    paramsOnPlainText: `const t = translator(ns, 'vi'); t('plain', { n: 1 });`,
    missingLanguage: `defineTexts({ a: { vi: 'x' } });`,
    placeholdersDiffer: `defineTexts({ a: { vi: 'x {n}', en: 'y {m}' } });`,
  };

  it('refuses wrong keys, parameters and translations', () => {
    const translatorPath = join(root, 'api', 'i18n', 'translator.ts');
    const files = new Map<string, string>();
    for (const [name, body] of Object.entries(probes)) {
      files.set(
        join(root, 'api', 'i18n', `probe-${name}.ts`),
        `import { defineTexts, translator } from './translator.ts';\n` +
          `const ns = defineTexts({ plain: { vi: 'a', en: 'b' }, withParam: { vi: '{n} a', en: '{n} b' } });\n` +
          `void ns; void translator;\n${body}\n`,
      );
    }
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      allowImportingTsExtensions: true,
      lib: ['lib.es2023.d.ts'],
      types: [],
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    host.readFile = (file) => files.get(file) ?? readFile(file);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (file) => files.has(file) || fileExists(file);
    const program = ts.createProgram([...files.keys(), translatorPath], options, host);
    const errorsIn = (file: string) => ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).length;
    for (const [file] of files) {
      const name = relative(join(root, 'api', 'i18n'), file);
      if (name === 'probe-control.ts') expect(errorsIn(file), name).toBe(0);
      else expect(errorsIn(file), name).toBeGreaterThan(0);
    }
  });
});

describe('no text outside the mechanism', () => {
  function sources(dir: string): string[] {
    return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !/\.test\.ts$/.test(entry.name))
      .map((entry) => join(entry.parentPath, entry.name));
  }

  it('has no inline language choice or hand-made decimal comma in api/ or web/', () => {
    const files = [...sources('api'), ...sources('web')];
    expect(files.length).toBeGreaterThan(50);
    const offences: string[] = [];
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/lang'?\)?\s*===?\s*['"](vi|en)['"]\s*\?/.test(line) || /\.replace\(\s*['"]\.['"]\s*,\s*['"],['"]/.test(line)) {
            offences.push(`${relative(root, file)}:${i + 1}: ${line.trim()}`);
          }
        });
    }
    expect(offences).toEqual([]);
  });
});
