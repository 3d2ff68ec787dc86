import type { CSSProperties } from 'react'
import { hueOf, initials } from '../lib/format.ts'

/** A partner app's mark: its initial on a colour drawn from its client id (partner logos are not loaded). */
export function AppMark({ clientId, name }: { clientId: string; name: string }) {
  return (
    <span className="app-mark" style={{ '--hue': hueOf(clientId) } as CSSProperties} aria-hidden="true">
      {initials(name).slice(0, 1)}
    </span>
  )
}
