import type { CSSProperties } from 'react'
import { hueOf, initials } from '../lib/format.ts'

interface AvatarProps {
  /** Seeds the colour: a user id, or a thread id for groups. */
  id: string
  name: string
  size?: 'sm' | 'md' | 'lg'
  group?: boolean
}

export function Avatar({ id, name, size = 'md', group = false }: AvatarProps) {
  return (
    <span
      className={`avatar avatar-${size}${group ? ' avatar-group' : ''}`}
      style={{ '--hue': hueOf(id) } as CSSProperties}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  )
}
