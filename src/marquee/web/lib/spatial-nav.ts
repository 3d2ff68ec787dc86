import { useEffect } from 'react'

type Direction = 'up' | 'down' | 'left' | 'right'

const directions: Record<string, Direction> = {
  ArrowUp: 'up',
  ArrowDown: 'down',
  ArrowLeft: 'left',
  ArrowRight: 'right',
}

const BACK_KEYS = new Set(['Escape', 'GoBack', 'BrowserBack', 'Backspace'])

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])'

/** Text fields keep left and right for the caret; sliders keep every arrow. */
function ownsArrow(element: Element | null, direction: Direction): boolean {
  if (element instanceof HTMLTextAreaElement) return true
  if (element instanceof HTMLSelectElement) return direction === 'up' || direction === 'down'
  if (element instanceof HTMLInputElement) {
    if (element.type === 'range') return true
    if (['checkbox', 'radio', 'button', 'submit'].includes(element.type)) return false
    return direction === 'left' || direction === 'right'
  }
  return false
}

function candidatesIn(scope: ParentNode): HTMLElement[] {
  return [...scope.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => {
    if (el.closest('[inert], [aria-hidden="true"]')) return false
    const rect = el.getBoundingClientRect()
    return rect.width > 0 && rect.height > 0
  })
}

/** The focusable element nearest to `from` in a direction: distance along it, plus misalignment across it. */
export function nearest(
  from: DOMRect,
  candidates: HTMLElement[],
  direction: Direction,
): HTMLElement | undefined {
  const fx = from.left + from.width / 2
  const fy = from.top + from.height / 2
  let best: { el: HTMLElement; score: number } | undefined
  for (const el of candidates) {
    const r = el.getBoundingClientRect()
    const cx = r.left + r.width / 2
    const cy = r.top + r.height / 2
    let along: number
    let across: number
    if (direction === 'right' || direction === 'left') {
      const ahead = direction === 'right' ? cx - fx : fx - cx
      if (ahead <= 1) continue
      along = Math.max(0, direction === 'right' ? r.left - from.right : from.left - r.right)
      const overlap = Math.min(r.bottom, from.bottom) - Math.max(r.top, from.top)
      across = overlap > 0 ? 0 : Math.abs(cy - fy)
    } else {
      const ahead = direction === 'down' ? cy - fy : fy - cy
      if (ahead <= 1) continue
      along = Math.max(0, direction === 'down' ? r.top - from.bottom : from.top - r.bottom)
      across = Math.abs(cx - fx)
    }
    const score = along + across * 2
    if (!best || score < best.score) best = { el, score }
  }
  return best?.el
}

/**
 * Arrow keys move focus to the nearest control on screen, as a TV remote's D-pad does (inside an open
 * dialog only the dialog's controls count), and Back returns to the previous screen.
 */
export function useSpatialNavigation(enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return
      if (BACK_KEYS.has(event.key)) {
        // A remote's Back button: leave the screen, unless a dialog (it closes itself) or a field has it.
        const active = document.activeElement
        const inField = active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement
        if (!document.querySelector('dialog[open]') && !inField && history.length > 1) {
          event.preventDefault()
          history.back()
        }
        return
      }
      const direction = directions[event.key]
      if (!direction) return
      const active = document.activeElement
      if (ownsArrow(active, direction)) return
      const scope: ParentNode = document.querySelector('dialog[open]') ?? document
      const candidates = candidatesIn(scope).filter((el) => el !== active)
      const from =
        active instanceof HTMLElement && active !== document.body && scope.contains(active)
          ? active.getBoundingClientRect()
          : undefined
      const target = from ? nearest(from, candidates, direction) : candidates[0]
      if (!target) return
      event.preventDefault()
      target.focus()
      target.scrollIntoView({ block: 'nearest', inline: 'nearest', behavior: 'smooth' })
    }
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [enabled])
}
