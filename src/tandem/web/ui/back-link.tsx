import type { ReactNode } from 'react'
import { Link } from '../lib/router.tsx'
import { BackIcon } from './icons.tsx'

/** The link above a page's heading, back to the page it belongs under. */
export function BackLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Link to={to} className="back-link-inline">
      <BackIcon width={18} height={18} />
      {children}
    </Link>
  )
}
