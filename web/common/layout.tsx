/** The frame around every page: header with navigation, language switch and the signed-in user. */
import type { Child } from 'hono/jsx';
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import { attendanceTranslator } from '../attendance/texts.ts';
import { translator } from './texts.ts';

export function Layout(props: { title: string; lang: Lang; user: AuthenticatedUser | null; children: Child; scripts?: string[]; styles?: string[] }) {
  const t = translator(props.lang);
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ${t('appName')}`}</title>
        <link rel="stylesheet" href="/static/app.css" />
        {(props.styles ?? []).map((href) => (
          <link rel="stylesheet" href={href} />
        ))}
        {(props.scripts ?? []).map((src) => (
          <script type="module" src={src} defer></script>
        ))}
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">
            {t('appName')}
          </a>
          <nav>
            {props.user && <a href="/">{t('upcomingMeetings')}</a>}
            {props.user && props.user.role !== 'leader' && <a href="/meetings/new">{t('newMeeting')}</a>}
            {props.user && props.user.role !== 'leader' && props.user.unitCode === 'VN' && <a href="/mail">{t('outboxNav')}</a>}
            {props.user && <a href="/reports">{attendanceTranslator(props.lang)('report')}</a>}
            {props.user?.role === 'admin' && <a href="/admin/users">{t('accountsNav')}</a>}
            {props.user && <a href="/account">{t('myAccountNav')}</a>}
          </nav>
          <div class="account">
            <a href={`?lang=${props.lang === 'vi' ? 'en' : 'vi'}`} class="lang">
              {props.lang === 'vi' ? 'English' : 'Tiếng Việt'}
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
      <strong>{translator(props.lang)('error')}:</strong> {props.message}
      {props.children}
    </div>
  );
}
