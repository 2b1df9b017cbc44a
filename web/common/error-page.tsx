/**
 * The page a person sees when a page request is refused, not found or fails: a short
 * explanation in their language and a way back. server/app.ts chooses it over the API's JSON
 * for every request outside /api.
 */
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import { Layout } from './layout.tsx';
import { translator, type TextKey } from './texts.ts';

const byStatus: Record<number, { title: TextKey; message?: TextKey }> = {
  400: { title: 'errorBadRequestTitle' },
  403: { title: 'errorForbiddenTitle', message: 'errorForbidden' },
  404: { title: 'errorNotFoundTitle', message: 'errorNotFound' },
  429: { title: 'errorTooManyTitle', message: 'errorTooMany' },
  500: { title: 'errorInternalTitle', message: 'errorInternal' },
};

export function ErrorPage(props: { lang: Lang; user: AuthenticatedUser | null; status: number; detail?: string; requestId?: string }) {
  const t = translator(props.lang);
  const known = byStatus[props.status] ?? { title: 'errorGenericTitle' as const };
  const message = known.message ? t(known.message) : props.detail;
  return (
    <Layout title={t(known.title)} lang={props.lang} user={props.user}>
      <section class="card narrow error-page">
        <h1>{t(known.title)}</h1>
        {message && <p>{props.status === 500 && props.requestId ? `${message}: ${props.requestId}.` : message}</p>}
        <p>
          <a href="/">{t('backHome')}</a>
        </p>
      </section>
    </Layout>
  );
}
