/** Texts of the sign-in page. */
import { defineTexts } from '../../api/i18n/translator.ts';

export const authTexts = defineTexts({
  signIn: { vi: 'Đăng nhập', en: 'Sign in' },
  email: { vi: 'Thư điện tử', en: 'E-mail' },
  password: { vi: 'Mật khẩu', en: 'Password' },
});
