export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; url: string; href: string }

/**
 * Splits message text around the URLs the server found, so each one becomes a link through
 * Tandem's link shim (`href`) while showing the URL as written (`url`).
 */
export function linkify(text: string, links: { url: string; href: string }[]): TextPart[] {
  const usable = links.filter((l) => l.url.length > 0)
  const parts: TextPart[] = []
  let at = 0
  let plainFrom = 0
  while (at < text.length) {
    let best: { index: number; link: { url: string; href: string } } | undefined
    for (const link of usable) {
      const index = text.indexOf(link.url, at)
      if (index < 0) continue
      if (!best || index < best.index || (index === best.index && link.url.length > best.link.url.length)) {
        best = { index, link }
      }
    }
    if (!best) break
    if (best.index > plainFrom) parts.push({ kind: 'text', text: text.slice(plainFrom, best.index) })
    parts.push({ kind: 'link', url: best.link.url, href: best.link.href })
    at = best.index + best.link.url.length
    plainFrom = at
  }
  if (plainFrom < text.length) parts.push({ kind: 'text', text: text.slice(plainFrom) })
  return parts
}
