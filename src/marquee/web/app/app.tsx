import { AuthGate } from '../../../lib/web/ui/auth-screen.tsx'
import { authProduct } from '../auth/auth-product.tsx'
import { paths, useRoute } from '../lib/router.tsx'
import { useSession } from '../state/session.ts'
import { Shell } from './shell.tsx'

export function App() {
  const session = useSession()
  const route = useRoute()
  return (
    <AuthGate session={session} page={route.name} product={authProduct} home={paths.browse}>
      <Shell route={route} />
    </AuthGate>
  )
}
