import { useEffect } from 'react'
import { AuthScreen } from '../../../lib/web/ui/auth-screen.tsx'
import { authProduct } from '../auth/auth-product.tsx'
import { navigate, nextPath, paths, useRoute } from '../lib/router.tsx'
import { useSession } from '../state/session.ts'
import { Shell } from './shell.tsx'

export function App() {
  const session = useSession()
  const route = useRoute()
  const onAuthPage = route.name === 'login' || route.name === 'signup'
  const signedIn = session.status === 'signed-in'

  useEffect(() => {
    if (signedIn && onAuthPage) navigate(nextPath(location.search) ?? paths.browse, { replace: true })
  }, [signedIn, onAuthPage])

  if (session.status === 'loading') {
    return (
      <div className="splash" role="status">
        Loading Marquee…
      </div>
    )
  }
  if (session.status === 'anonymous')
    return <AuthScreen mode={route.name === 'signup' ? 'signup' : 'login'} product={authProduct} />
  if (onAuthPage) return null
  return <Shell route={route} />
}
