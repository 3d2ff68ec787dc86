const DAY_MS = 86_400_000

const startOfDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime()

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' })
const weekdayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short' })
const dateFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })
const longDateFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' })
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** Inbox times: the time today, the weekday this week, the date before that. */
export function shortTime(iso: string, now = new Date()): string {
  const date = new Date(iso)
  const days = Math.round((startOfDay(now) - startOfDay(date)) / DAY_MS)
  if (days <= 0) return timeFormat.format(date)
  if (days < 7) return weekdayFormat.format(date)
  return dateFormat.format(date)
}

export const clockTime = (iso: string) => timeFormat.format(new Date(iso))
export const fullTime = (iso: string) => fullFormat.format(new Date(iso))

/** The label of a day separator in a conversation. */
export function dayLabel(iso: string, now = new Date()): string {
  const date = new Date(iso)
  const days = Math.round((startOfDay(now) - startOfDay(date)) / DAY_MS)
  if (days === 0) return 'Today'
  if (days === 1) return 'Yesterday'
  return longDateFormat.format(date)
}

export const sameDay = (a: string, b: string) => startOfDay(new Date(a)) === startOfDay(new Date(b))

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  const letters = words.length > 1 ? [words[0]!, words.at(-1)!] : words
  return letters.map((w) => [...w][0]?.toUpperCase() ?? '').join('') || '?'
}

/** A stable hue for a person, so their avatar keeps its colour everywhere. */
export function hueOf(id: string): number {
  let hash = 0
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) | 0
  return Math.abs(hash) % 360
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

export const dateOnly = (iso: string) => dayFormat.format(new Date(iso))

/** "in 29 days", "yesterday", "3 hours ago": how far a moment is from now, in the largest fitting unit. */
export function fromNow(iso: string, now = new Date()): string {
  const ms = new Date(iso).getTime() - now.getTime()
  const abs = Math.abs(ms)
  if (abs < 60_000) return relativeFormat.format(0, 'minute')
  if (abs < 3_600_000) return relativeFormat.format(Math.round(ms / 60_000), 'minute')
  if (abs < DAY_MS) return relativeFormat.format(Math.round(ms / 3_600_000), 'hour')
  return relativeFormat.format(Math.round(ms / DAY_MS), 'day')
}

/** `https://marquee.example/x` → `marquee.example`; the text itself when it is not a URL. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host || url
  } catch {
    return url
  }
}

/** The URL when it is http(s), else undefined: addresses from partners never become `javascript:` links. */
export function webUrl(url: string | null | undefined): string | undefined {
  if (!url) return undefined
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined
  } catch {
    return undefined
  }
}

const countFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })

/** A count as a whole number with the reader's digit grouping: 12,345. */
export const formatCount = (n: number) => countFormat.format(n)

export const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0)

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

const utcDayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' })

/** The UTC calendar day of a moment: agreements and report periods are counted in UTC days. */
export const utcDay = (iso: string) => utcDayFormat.format(new Date(iso))

/** The last UTC day an exclusive end still covers: valid until 1 Jan 00:00 UTC covers 31 Dec. */
export const lastUtcDayIso = (iso: string) => new Date(new Date(iso).getTime() - 1).toISOString().slice(0, 10)
export const lastUtcDay = (iso: string) => calendarDay(lastUtcDayIso(iso))

/** A `YYYY-MM-DD` UTC day, as `utcDay` shows it. */
export const calendarDay = (day: string) => utcDay(`${day}T00:00:00Z`)
