import { createHash } from 'node:crypto'
import { genreName, seededRandom } from './catalog.data.ts'

/** Bump when the drawing changes: poster URLs carry it, so cached posters are replaced. */
export const POSTER_VERSION = 1

export const posterPath = (titleId: string) => `/posters/${titleId}.svg?v=${POSTER_VERSION}`

export interface PosterTitle {
  id: string
  name: string
  year: number
  genres: string[]
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Characters XML 1.0 does not allow at all, even escaped: C0 controls but tab and newlines, lone surrogates. */
const xmlForbidden = (c: number) =>
  (c < 32 && c !== 9 && c !== 10 && c !== 13) || (c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff

/** Text safe inside SVG/XML elements and attributes; characters XML forbids are dropped. */
export function escapeXml(text: string): string {
  let out = ''
  for (const ch of text) {
    if (xmlForbidden(ch.codePointAt(0) ?? 0)) continue
    out += ESCAPES[ch] ?? ch
  }
  return out
}

/** Base hues per genre, so a row of one genre feels related while each poster differs. */
const GENRE_HUES: Record<string, number> = {
  drama: 18,
  comedy: 45,
  thriller: 210,
  'science-fiction': 190,
  romance: 340,
  documentary: 100,
  animation: 280,
  crime: 0,
  fantasy: 260,
  mystery: 230,
  family: 160,
  adventure: 28,
}

/** Splits a name into at most `maxLines` lines of about `width` characters (the last may run longer). */
export function wrapWords(text: string, width: number, maxLines = 4): string[] {
  const lines: string[] = []
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines[lines.length - 1]
    if (last !== undefined && (last.length + 1 + word.length <= width || lines.length === maxLines)) {
      lines[lines.length - 1] = `${last} ${word}`
    } else {
      lines.push(word)
    }
  }
  return lines
}

const hsl = (h: number, s: number, l: number) => `hsl(${Math.round(((h % 360) + 360) % 360)} ${s}% ${l}%)`

/**
 * A 2:3 poster drawn from the title alone: a gradient and one of several motifs chosen by a hash of the
 * id, the name set large, the year and genre small. Same title, same bytes.
 */
export function renderPoster(title: PosterTitle): string {
  const digest = createHash('sha256').update(title.id).digest()
  const rng = seededRandom(digest.readUInt32BE(0))
  const primary = title.genres[0] ?? 'drama'
  const hue = (GENRE_HUES[primary] ?? 0) + Math.floor(rng() * 50) - 25
  const dark = hsl(hue + 30 + rng() * 40, 45, 10 + rng() * 6)
  const mid = hsl(hue, 55 + rng() * 20, 28 + rng() * 10)
  const light = hsl(hue - 20 + rng() * 40, 70 + rng() * 20, 60 + rng() * 12)
  const accent = hsl(hue + 150 + rng() * 60, 65, 62)
  const angle = Math.floor(rng() * 4)
  const [x1, y1, x2, y2] = [
    [0, 0, 0, 1],
    [0, 0, 1, 1],
    [1, 0, 0, 1],
    [0.5, 0, 0.5, 1],
  ][angle] as [number, number, number, number]

  const motif = motifs[digest[4]! % motifs.length]!(rng, { light, mid, dark, accent })

  const lines = wrapWords(title.name, title.name.length > 28 ? 14 : 12)
  const longest = Math.max(...lines.map((l) => l.length))
  const fontSize = Math.max(26, Math.min(58, Math.floor(340 / (longest * 0.56))))
  const lineHeight = Math.round(fontSize * 1.08)
  const top = 560 - lineHeight * (lines.length - 1) - 34
  const nameText = lines
    .map((line, i) => `<tspan x="32" y="${top + i * lineHeight}">${escapeXml(line)}</tspan>`)
    .join('')
  const genreLabel = escapeXml(title.genres.map(genreName).slice(0, 2).join(' · ').toUpperCase())

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="600" viewBox="0 0 400 600" role="img" aria-label="${escapeXml(`${title.name} (${title.year})`)}">`,
    `<title>${escapeXml(title.name)}</title>`,
    '<defs>',
    `<linearGradient id="bg" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"><stop offset="0" stop-color="${mid}"/><stop offset="1" stop-color="${dark}"/></linearGradient>`,
    `<linearGradient id="fade" x1="0" y1="0" x2="0" y2="1"><stop offset="0.45" stop-color="${dark}" stop-opacity="0"/><stop offset="1" stop-color="${dark}" stop-opacity="0.92"/></linearGradient>`,
    `<radialGradient id="glow" cx="0.5" cy="0.5" r="0.5"><stop offset="0" stop-color="${light}" stop-opacity="0.9"/><stop offset="1" stop-color="${light}" stop-opacity="0"/></radialGradient>`,
    '</defs>',
    '<rect width="400" height="600" fill="url(#bg)"/>',
    motif,
    '<rect width="400" height="600" fill="url(#fade)"/>',
    `<text x="32" y="52" fill="${light}" font-family="'Helvetica Neue', Arial, sans-serif" font-size="15" letter-spacing="3" font-weight="600">${genreLabel}</text>`,
    `<text fill="#fff" font-family="Georgia, 'Times New Roman', serif" font-size="${fontSize}" font-weight="700">${nameText}</text>`,
    `<rect x="32" y="${top - lineHeight + 2}" width="48" height="4" fill="${accent}"/>`,
    `<text x="32" y="572" fill="${light}" font-family="'Helvetica Neue', Arial, sans-serif" font-size="16" letter-spacing="2">${title.year}</text>`,
    `<text x="368" y="572" text-anchor="end" fill="#fff" fill-opacity="0.7" font-family="'Helvetica Neue', Arial, sans-serif" font-size="13" letter-spacing="4">MARQUEE</text>`,
    '</svg>',
  ].join('')
}

interface Palette {
  light: string
  mid: string
  dark: string
  accent: string
}

type Motif = (rng: () => number, p: Palette) => string
const n = (x: number) => Math.round(x * 10) / 10

const motifs: Motif[] = [
  // A low sun over layered hills.
  (rng, p) => {
    const cx = n(80 + rng() * 240)
    const cy = n(170 + rng() * 90)
    const hills = [0, 1, 2]
      .map((i) => {
        const base = 300 + i * 55
        const peak = n(base - 40 - rng() * 60)
        const at = n(rng() * 400)
        return `<path d="M0 ${base} Q${at} ${peak} 400 ${n(base - rng() * 30)} V600 H0Z" fill="${p.dark}" fill-opacity="${0.35 + i * 0.2}"/>`
      })
      .join('')
    return `<circle cx="${cx}" cy="${cy}" r="150" fill="url(#glow)"/><circle cx="${cx}" cy="${cy}" r="${n(40 + rng() * 30)}" fill="${p.light}"/>${hills}`
  },
  // Concentric rings, off centre.
  (rng, p) => {
    const cx = n(100 + rng() * 200)
    const cy = n(150 + rng() * 150)
    return Array.from(
      { length: 7 },
      (_, i) =>
        `<circle cx="${cx}" cy="${cy}" r="${30 + i * 34}" fill="none" stroke="${i % 3 === 0 ? p.accent : p.light}" stroke-opacity="${n(0.55 - i * 0.06)}" stroke-width="${n(2 + rng() * 6)}"/>`,
    ).join('')
  },
  // Diagonal bands of light.
  (rng, p) => {
    const tilt = n(-30 + rng() * 60)
    const bands = Array.from({ length: 5 }, (_, i) => {
      const y = n(40 + i * 90 + rng() * 30)
      return `<rect x="-200" y="${y}" width="800" height="${n(14 + rng() * 40)}" fill="${i % 2 ? p.light : p.accent}" fill-opacity="${n(0.15 + rng() * 0.3)}"/>`
    }).join('')
    return `<g transform="rotate(${tilt} 200 300)">${bands}</g>`
  },
  // A field of stars and one planet.
  (rng, p) => {
    const stars = Array.from(
      { length: 60 },
      () =>
        `<circle cx="${n(rng() * 400)}" cy="${n(rng() * 420)}" r="${n(0.6 + rng() * 1.8)}" fill="#fff" fill-opacity="${n(0.3 + rng() * 0.7)}"/>`,
    ).join('')
    const cx = n(120 + rng() * 160)
    const cy = n(150 + rng() * 120)
    const r = n(60 + rng() * 50)
    return `${stars}<circle cx="${cx}" cy="${cy}" r="${r * 2}" fill="url(#glow)" fill-opacity="0.5"/><circle cx="${cx}" cy="${cy}" r="${r}" fill="${p.mid}" stroke="${p.light}" stroke-width="2"/><ellipse cx="${cx}" cy="${cy}" rx="${n(r * 1.7)}" ry="${n(r * 0.35)}" fill="none" stroke="${p.accent}" stroke-width="3" transform="rotate(-18 ${cx} ${cy})"/>`
  },
  // Tall windows of a city at night.
  (rng, p) => {
    const buildings = Array.from({ length: 9 }, (_, i) => {
      const w = n(36 + rng() * 20)
      const h = n(140 + rng() * 220)
      const x = n(i * 46 - 10)
      const windows = Array.from({ length: Math.floor(h / 26) }, (_, k) =>
        rng() < 0.4
          ? `<rect x="${n(x + 8)}" y="${n(600 - h + 12 + k * 26)}" width="${n(w - 16)}" height="10" fill="${p.light}" fill-opacity="${n(0.4 + rng() * 0.5)}"/>`
          : '',
      ).join('')
      return `<rect x="${x}" y="${n(600 - h)}" width="${w}" height="${h}" fill="${p.dark}" fill-opacity="0.85"/>${windows}`
    }).join('')
    return `<circle cx="${n(60 + rng() * 280)}" cy="${n(90 + rng() * 80)}" r="32" fill="${p.light}" fill-opacity="0.85"/>${buildings}`
  },
  // Overlapping translucent circles.
  (rng, p) =>
    Array.from(
      { length: 6 },
      (_, i) =>
        `<circle cx="${n(rng() * 400)}" cy="${n(60 + rng() * 360)}" r="${n(50 + rng() * 110)}" fill="${[p.light, p.accent, p.mid][i % 3]}" fill-opacity="${n(0.18 + rng() * 0.25)}"/>`,
    ).join(''),
  // Waves.
  (rng, p) =>
    Array.from({ length: 6 }, (_, i) => {
      const y = 220 + i * 48
      const amp = n(12 + rng() * 26)
      return `<path d="M0 ${y} C100 ${y - amp} 150 ${y + amp} 200 ${y} S300 ${y - amp} 400 ${y}" fill="none" stroke="${i % 2 ? p.accent : p.light}" stroke-opacity="${n(0.3 + rng() * 0.4)}" stroke-width="${n(3 + rng() * 5)}"/>`
    }).join(''),
]
