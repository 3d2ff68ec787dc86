import type { AuthProduct } from '../../../lib/web/ui/auth-screen.tsx'
import { api } from '../api/endpoints.ts'
import type { Me } from '../api/types.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { paths } from '../lib/router.tsx'
import { signedIn } from '../state/session.ts'
import { LogoMark } from '../ui/icons.tsx'

/** What the shared log in and sign up screen says and calls for this client. */
export const authProduct: AuthProduct<Me> = {
  name: 'Tandem',
  logo: <LogoMark width={40} height={40} />,
  signupHeading: 'Create your account',
  signupLead: 'Chat with your friends, one to one or in groups.',
  loginLead: 'Log in to see your conversations.',
  usernameHint: '3 to 30 letters, digits or underscores. Friends find you by it.',
  paths,
  api,
  signedIn,
  usePageTitle,
}
