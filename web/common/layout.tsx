/** The frame around every page: header with navigation, language switch and the signed-in user. */
import type { Child } from 'hono/jsx';
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import { mayUseDirectory } from '../../api/directory/access.ts';
import { attendanceTranslator } from '../attendance/texts.ts';
import { directoryTranslator } from '../directory/texts.ts';
import { type ScriptEntry, scriptUrls, type StyleEntry, styleHref } from '../assets.ts';
import { otherLang } from '../../api/i18n/translator.ts';
import { commonTranslator } from './texts.ts';

/**
 * The style sheets and scripts of a page, by entry name (web/assets.ts): `app` first, then the
 * page's own; each script's chunks are preloaded so the browser fetches them in parallel.
 */
export function AssetTags(props: { scripts?: ScriptEntry[]; styles?: StyleEntry[] }) {
  const scripts = (props.scripts ?? []).map(scriptUrls);
  const preloads = [...new Set(scripts.flatMap((s) => s.preloads))];
  return (
    <>
      {(['app', ...(props.styles ?? [])] as const).map((name) => (
        <link rel="stylesheet" href={styleHref(name)} />
      ))}
      {preloads.map((href) => (
        <link rel="modulepreload" href={href} />
      ))}
      {scripts.map((s) => (
        <script type="module" src={s.src}></script>
      ))}
    </>
  );
}

export function Layout(props: { title: string; lang: Lang; user: AuthenticatedUser | null; children: Child; scripts?: ScriptEntry[]; styles?: StyleEntry[] }) {
  const t = commonTranslator(props.lang);
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ${t('appName')}`}</title>
        <AssetTags scripts={props.scripts} styles={props.styles} />
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">
            {t('appName')}
          </a>
          <nav>
            {props.user && <a href="/">{t('upcomingMeetings')}</a>}
            {props.user && props.user.role !== 'leader' && <a href="/meetings/new">{t('newMeeting')}</a>}
            {props.user && props.user.role !== 'leader' && props.user.unitCode === 'VN' && <a href="/mail">{t('mailFolderNav')}</a>}
            {mayUseDirectory(props.user) && <a href="/directory">{directoryTranslator(props.lang)('directory')}</a>}
            {props.user && <a href="/reports">{attendanceTranslator(props.lang)('report')}</a>}
            {props.user?.role === 'admin' && <a href="/admin/users">{t('accountsNav')}</a>}
            {props.user?.role === 'admin' && props.user.unitCode === 'VN' && <a href="/admin/nodes">{t('nodesNav')}</a>}
            {props.user && props.user.role !== 'leader' && <a href="/audit">{t('auditNav')}</a>}
            {props.user && <a href="/account">{t('myAccountNav')}</a>}
          </nav>
          <div class="account">
            <a href={`?lang=${otherLang(props.lang)}`} class="lang">
              {t('otherLanguage')}
            </a>
            {props.user && (
              <form method="post" action="/logout" class="inline">
                <span class="who">{props.user.displayName}</span> <button type="submit">{t('signOut')}</button>
              </form>
            )}
          </div>
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

export function ErrorBox(props: { lang: Lang; message: string; children?: Child }) {
  return (
    <div class="error" role="alert">
      <strong>{commonTranslator(props.lang)('error')}:</strong> {props.message}
      {props.children}
    </div>
  );
}
