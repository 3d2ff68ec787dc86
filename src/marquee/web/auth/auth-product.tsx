import type { AuthProduct } from '../../../lib/web/ui/auth-screen.tsx'
import { api } from '../api/endpoints.ts'
import type { Me } from '../api/types.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { paths } from '../lib/router.tsx'
import { signedIn } from '../state/session.ts'
import { LogoMark } from '../ui/icons.tsx'

/** What the shared log in and sign up screen says and calls for this client. */
export const authProduct: AuthProduct<Me> = {
  name: 'Marquee',
  logo: <LogoMark width={36} height={36} />,
  signupHeading: 'Start watching',
  signupLead: 'Films and series, and friends to share them with.',
  loginLead: 'Log in to pick up where you left off.',
  usernameHint: '3 to 30 letters, digits or underscores.',
  paths,
  api,
  signedIn,
  usePageTitle,
}
