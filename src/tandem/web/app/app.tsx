import { useEffect } from 'react'
import { AuthGate } from '../../../lib/web/ui/auth-screen.tsx'
import { authProduct } from '../auth/auth-product.tsx'
import { paths, useRoute } from '../lib/router.tsx'
import { PublicPartnerPage } from '../partners/public-partner-page.tsx'
import { totalUnread, useApp } from '../state/app-state.ts'
import { Shell } from './shell.tsx'

/** Keeps the tab title as "(unread) Screen · Tandem" so unread messages show in the tab strip. */
function useDocumentTitle() {
  const unread = useApp((s) => totalUnread(s.inbox.threads))
  const pageTitle = useApp((s) => s.pageTitle)
  useEffect(() => {
    document.title = `${unread > 0 ? `(${unread}) ` : ''}${pageTitle ? `${pageTitle} · ` : ''}Tandem`
  }, [unread, pageTitle])
}

export function App() {
  const session = useApp((s) => s.session)
  const route = useRoute()
  useDocumentTitle()

  // A partner's public page is for anyone, logged in or not.
  if (route.name === 'public-partner')
    return <PublicPartnerPage key={route.clientId} clientId={route.clientId} />
  return (
    <AuthGate session={session} page={route.name} product={authProduct} home={paths.inbox}>
      <Shell route={route} />
    </AuthGate>
  )
}
