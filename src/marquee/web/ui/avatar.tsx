import { initials } from '../lib/format.ts'

const hues = [350, 20, 45, 150, 190, 220, 265, 300]

function hueFor(name: string): number {
  let hash = 0
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
  return hues[hash % hues.length]!
}

/**
 * A person's picture; only same-origin or data: URLs are shown (the page's CSP allows no others), and
 * initials on a colour stand in otherwise.
 */
export function Avatar({ name, url, size = 36 }: { name: string; url?: string | null; size?: number }) {
  const usable = url && (url.startsWith('/') || url.startsWith('data:'))
  if (usable) return <img className="avatar" src={url} alt="" width={size} height={size} />
  return (
    <span
      className="avatar avatar-initials"
      aria-hidden="true"
      style={{ width: size, height: size, background: `hsl(${hueFor(name)} 55% 38%)`, fontSize: size * 0.4 }}
    >
      {initials(name)}
    </span>
  )
}
