import type { Lang } from '../../api/context.ts';
import { pageTranslator } from '../common/texts.ts';
import { authTexts } from './texts.ts';
import { ErrorBox, Layout } from '../common/layout.tsx';
import { accountTranslator } from './texts.ts';

export function LoginPage(props: { lang: Lang; next: string; email?: string; error?: string }) {
  const t = pageTranslator(authTexts, props.lang);
  return (
    <Layout title={t('signIn')} lang={props.lang} user={null}>
      <section class="card narrow">
        <h1>{t('signIn')}</h1>
        {props.error && <ErrorBox lang={props.lang} message={props.error} />}
        <form method="post" action={`/login?next=${encodeURIComponent(props.next)}`}>
          <label>
            {t('email')}
            <input type="email" name="email" required autocomplete="username" value={props.email ?? ''} />
          </label>
          <label>
            {t('password')}
            <input type="password" name="password" required autocomplete="current-password" />
          </label>
          <button type="submit" class="primary">
            {t('signIn')}
          </button>
        </form>
        <p>
          <a href="/forgot-password">{accountTranslator(props.lang)('forgotLink')}</a>
        </p>
      </section>
    </Layout>
  );
}
