/**
 * The page a person sees when a page request is refused, not found or fails: a short
 * explanation in their language and a way back. server/app.ts chooses it over the API's JSON
 * for every request outside /api.
 */
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import { translator } from '../../api/i18n/translator.ts';
import { Layout } from './layout.tsx';
import { errorPageTexts } from './texts.ts';

export function ErrorPage(props: { lang: Lang; user: AuthenticatedUser | null; status: number; detail?: string; requestId?: string }) {
  const t = translator(errorPageTexts, props.lang);
  const known: Record<number, { title: string; message?: string }> = {
    400: { title: t('badRequestTitle') },
    403: { title: t('forbiddenTitle'), message: t('forbidden') },
    404: { title: t('notFoundTitle'), message: t('notFound') },
    429: { title: t('tooManyTitle'), message: t('tooMany') },
    500: { title: t('internalTitle'), message: t('internal', { requestId: props.requestId ?? '' }) },
  };
  const page = known[props.status] ?? { title: t('genericTitle') };
  const message = page.message ?? props.detail;
  return (
    <Layout title={page.title} lang={props.lang} user={props.user}>
      <section class="card narrow error-page">
        <h1>{page.title}</h1>
        {message && <p>{message}</p>}
        <p>
          <a href="/">{t('backHome')}</a>
        </p>
      </section>
    </Layout>
  );
}
