import { useEffect } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { usePageTitle } from '../lib/page-title.ts'
import { useApp } from '../state/app-state.ts'
import { loadSocial } from '../state/social.ts'
import { AddFriendForm } from './add-friend-form.tsx'
import { BlockedSection } from './blocked-section.tsx'
import { FriendsSection } from './friends-section.tsx'
import { RequestsSection } from './requests-section.tsx'

export function FriendsPage() {
  const error = useApp((s) => s.social.error)
  usePageTitle('Friends')
  useEffect(() => {
    void loadSocial()
  }, [])
  return (
    <div className="page-content" data-testid="friends-page">
      <h1 tabIndex={-1}>Friends</h1>
      {error && <Notice tone="error">{error}</Notice>}
      <AddFriendForm />
      <RequestsSection />
      <FriendsSection />
      <BlockedSection />
    </div>
  )
}
