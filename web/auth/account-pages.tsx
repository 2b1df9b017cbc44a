/** The account pages: forgotten password, setting a new one from the e-mailed link, one's own account, the admins' account list. */
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import { formatVietnamDateTime } from '../../api/time.ts';
import { ErrorBox, Layout } from '../common/layout.tsx';
import { pageTranslator } from '../common/texts.ts';
import { accountTranslator, authTexts } from './texts.ts';

export function ForgotPasswordPage(props: { lang: Lang; sent?: boolean; error?: string }) {
  const a = accountTranslator(props.lang);
  const t = pageTranslator(authTexts, props.lang);
  return (
    <Layout title={a('forgotTitle')} lang={props.lang} user={null}>
      <section class="card narrow">
        <h1>{a('forgotTitle')}</h1>
        {props.error && <ErrorBox lang={props.lang} message={props.error} />}
        {props.sent ? (
          <p role="status">{a('forgotSent')}</p>
        ) : (
          <form method="post" action="/forgot-password">
            <p>{a('forgotIntro')}</p>
            <label>
              {t('email')}
              <input type="email" name="email" required autocomplete="username" />
            </label>
            <button type="submit" class="primary">
              {a('send')}
            </button>
          </form>
        )}
        <p>
          <a href="/login">{t('signIn')}</a>
        </p>
      </section>
    </Layout>
  );
}

export function ResetPasswordPage(props: { lang: Lang; action: string; done?: boolean; error?: string }) {
  const a = accountTranslator(props.lang);
  const t = pageTranslator(authTexts, props.lang);
  return (
    <Layout title={a('resetTitle')} lang={props.lang} user={null}>
      <section class="card narrow">
        <h1>{a('resetTitle')}</h1>
        {props.error && <ErrorBox lang={props.lang} message={props.error} />}
        {props.done ? (
          <p role="status">
            {a('resetDone')} <a href="/login">{t('signIn')}</a>
          </p>
        ) : (
          <form method="post" action={props.action}>
            <label>
              {a('newPassword')}
              <input type="password" name="password" required minlength={12} autocomplete="new-password" />
            </label>
            <button type="submit" class="primary">
              {a('save')}
            </button>
          </form>
        )}
      </section>
    </Layout>
  );
}

export interface SignInRow {
  publicId: string;
  createdAt: Date;
  lastSeenAt: Date;
  userAgent: string | null;
  current: boolean;
}

export function AccountPage(props: { lang: Lang; user: AuthenticatedUser; signIns: SignInRow[]; notice?: string; error?: string }) {
  const a = accountTranslator(props.lang);
  return (
    <Layout title={a('accountTitle')} lang={props.lang} user={props.user}>
      <section class="card">
        <h1>{a('accountTitle')}</h1>
        <p>
          {props.user.displayName} · {props.user.email} · {props.user.unitCode}
        </p>
        {props.notice && <p role="status">{props.notice}</p>}
        {props.error && <ErrorBox lang={props.lang} message={props.error} />}
        <h2>{a('changePassword')}</h2>
        <form method="post" action="/account/password">
          <label>
            {a('currentPassword')}
            <input type="password" name="currentPassword" required autocomplete="current-password" />
          </label>
          <label>
            {a('newPassword')}
            <input type="password" name="newPassword" required minlength={12} autocomplete="new-password" />
          </label>
          <button type="submit" class="primary">
            {a('save')}
          </button>
        </form>
        <h2>{a('signIns')}</h2>
        <table>
          <thead>
            <tr>
              <th>{a('signedInAt')}</th>
              <th>{a('lastSeen')}</th>
              <th>{a('device')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {props.signIns.map((s) => (
              <tr>
                <td>{formatVietnamDateTime(s.createdAt, props.lang)}</td>
                <td>{formatVietnamDateTime(s.lastSeenAt, props.lang)}</td>
                <td>{s.userAgent ?? ''}</td>
                <td>
                  {s.current ? (
                    a('thisOne')
                  ) : (
                    <form method="post" action={`/account/sign-ins/${s.publicId}/revoke`} class="inline">
                      <button type="submit">{a('revoke')}</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}

export interface AccountRow {
  id: string;
  email: string;
  displayName: string;
  role: 'secretariat' | 'leader' | 'admin';
  unitCode: string;
  active: boolean;
}

export function UsersPage(props: { lang: Lang; user: AuthenticatedUser; users: AccountRow[]; notice?: string; error?: string }) {
  const a = accountTranslator(props.lang);
  const t = pageTranslator(authTexts, props.lang);
  return (
    <Layout title={a('usersTitle')} lang={props.lang} user={props.user}>
      <section class="card">
        <h1>{a('usersTitle')}</h1>
        {props.notice && <p role="status">{props.notice}</p>}
        {props.error && <ErrorBox lang={props.lang} message={props.error} />}
        <table>
          <thead>
            <tr>
              <th>{t('email')}</th>
              <th>{a('displayName')}</th>
              <th>{a('role')}</th>
              <th>{t('unit')}</th>
              <th>{t('status')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {props.users.map((u) => (
              <tr>
                <td>{u.email}</td>
                <td>{u.displayName}</td>
                <td>{a(u.role)}</td>
                <td>{u.unitCode}</td>
                <td>{u.active ? a('active') : a('inactive')}</td>
                <td>
                  {u.id !== props.user.id && (
                    <form method="post" action={`/admin/users/${u.id}/${u.active ? 'deactivate' : 'reactivate'}`} class="inline">
                      <button type="submit">{u.active ? a('deactivate') : a('reactivate')}</button>
                    </form>
                  )}
                  <form method="post" action={`/admin/users/${u.id}/password`} class="inline">
                    <input type="password" name="password" minlength={12} required autocomplete="new-password" aria-label={a('newPassword')} />
                    <button type="submit">{a('resetPassword')}</button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>{a('createUser')}</h2>
        <form method="post" action="/admin/users">
          <label>
            {t('email')}
            <input type="email" name="email" required />
          </label>
          <label>
            {a('displayName')}
            <input type="text" name="displayName" required />
          </label>
          <label>
            {a('role')}
            <select name="role">
              <option value="secretariat">{a('secretariat')}</option>
              <option value="leader">{a('leader')}</option>
              <option value="admin">{a('admin')}</option>
            </select>
          </label>
          <label>
            {a('unit')}
            <input type="text" name="unitCode" required value={props.user.unitCode} pattern="VN|[0-9]{2}|[0-9]{5}" />
          </label>
          <label>
            {a('newPassword')}
            <input type="password" name="password" required minlength={12} autocomplete="new-password" />
          </label>
          <button type="submit" class="primary">
            {a('createUser')}
          </button>
        </form>
      </section>
    </Layout>
  );
}
