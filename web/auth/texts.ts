/** Texts of the sign-in page and the account pages (forgotten password, one's own account, the admins' list). */
import { defineTexts, translator, type Lang, type Translate } from '../../api/i18n/translator.ts';

export const authTexts = defineTexts({
  signIn: { vi: 'Đăng nhập', en: 'Sign in' },
  email: { vi: 'Thư điện tử', en: 'E-mail' },
  password: { vi: 'Mật khẩu', en: 'Password' },
});

export const accountTexts = defineTexts({
  forgotTitle: { vi: 'Quên mật khẩu', en: 'Forgotten password' },
  forgotLink: { vi: 'Quên mật khẩu?', en: 'Forgot your password?' },
  forgotIntro: {
    vi: 'Nhập thư điện tử của tài khoản; hệ thống sẽ gửi đường dẫn đặt lại mật khẩu (dùng một lần, trong 30 phút).',
    en: 'Enter your account’s e-mail; we will send a link to set a new password (single use, 30 minutes).',
  },
  forgotSent: {
    vi: 'Nếu địa chỉ này thuộc một tài khoản đang hoạt động, thư có đường dẫn đặt lại mật khẩu đã được gửi.',
    en: 'If this address belongs to an active account, a link to set a new password is on its way.',
  },
  send: { vi: 'Gửi đường dẫn', en: 'Send the link' },
  resetTitle: { vi: 'Đặt mật khẩu mới', en: 'Set a new password' },
  newPassword: { vi: 'Mật khẩu mới (ít nhất 12 ký tự)', en: 'New password (at least 12 characters)' },
  currentPassword: { vi: 'Mật khẩu hiện tại', en: 'Current password' },
  save: { vi: 'Lưu', en: 'Save' },
  resetDone: { vi: 'Đã đặt mật khẩu mới. Vui lòng đăng nhập lại.', en: 'Your new password is set. Please sign in again.' },
  resetLinkBad: {
    vi: 'Đường dẫn không hợp lệ, đã được dùng hoặc đã quá 30 phút. Hãy yêu cầu đường dẫn mới.',
    en: 'This link is not valid, was already used or is older than 30 minutes. Ask for a new one.',
  },
  accountTitle: { vi: 'Tài khoản của tôi', en: 'My account' },
  changePassword: { vi: 'Đổi mật khẩu', en: 'Change password' },
  passwordChanged: { vi: 'Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc.', en: 'Password changed; your other sign-ins have ended.' },
  signIns: { vi: 'Các phiên đăng nhập', en: 'Sign-ins' },
  signedInAt: { vi: 'Đăng nhập lúc', en: 'Signed in' },
  lastSeen: { vi: 'Hoạt động gần nhất', en: 'Last active' },
  device: { vi: 'Trình duyệt', en: 'Browser' },
  thisOne: { vi: 'Phiên này', en: 'This one' },
  revoke: { vi: 'Kết thúc', en: 'End' },
  usersTitle: { vi: 'Quản lý tài khoản', en: 'Accounts' },
  createUser: { vi: 'Tạo tài khoản', en: 'Create an account' },
  displayName: { vi: 'Họ tên', en: 'Name' },
  role: { vi: 'Vai trò', en: 'Role' },
  unit: { vi: 'Đơn vị (VN, mã tỉnh hoặc mã xã)', en: 'Unit (VN, province or commune code)' },
  secretariat: { vi: 'Văn phòng (thư ký)', en: 'Secretariat' },
  leader: { vi: 'Lãnh đạo', en: 'Leader' },
  admin: { vi: 'Quản trị', en: 'Admin' },
  active: { vi: 'Đang hoạt động', en: 'Active' },
  inactive: { vi: 'Đã khóa', en: 'Deactivated' },
  deactivate: { vi: 'Khóa', en: 'Deactivate' },
  reactivate: { vi: 'Mở khóa', en: 'Reactivate' },
  resetPassword: { vi: 'Đặt lại mật khẩu', en: 'Reset password' },
  done: { vi: 'Đã thực hiện.', en: 'Done.' },
});

export function accountTranslator(lang: Lang): Translate<typeof accountTexts> {
  return translator(accountTexts, lang);
}
