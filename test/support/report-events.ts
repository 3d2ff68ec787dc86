// A deterministic 14-day event set for the partner report, recorded through Marquee's real ingest
// (POST /events with the ingest token): 24 senders, 1 to 4 sends a day each, a third confirmed.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { eventIngestToken } from '../../src/marquee/events/events.routes.ts'
import { shareDialogVariant } from '../../src/marquee/experiments/experiments.service.ts'
import { addDays } from '../../src/marquee/reports/builder.ts'

export const atHour = (day: string, hours = 12) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + hours * 3_600_000)

/** A uuid made from a name, so the event set is the same on every run. */
const uuidOf = (name: string) => {
  const h = createHash('sha256').update(name).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

const INTERFACES = ['web', 'tv', 'mobile'] as const
const SURFACES = ['title_page', 'post_play', 'browse_row', 'search', 'watch_party_end'] as const

/** The events of the period and the truth they hold. */
export function reportEvents(periodStart: string) {
  const events: unknown[] = []
  const truth = { sends: 0, uniqueClicks: 0 }
  for (let d = 0; d < 14; d++) {
    const day = addDays(periodStart, d)
    for (let s = 0; s < 24; s++) {
      const senderId = uuidOf(`sender-${s}`)
      for (let k = 0; k < 1 + ((s + d) % 4); k++) {
        const sendId = uuidOf(`send-${day}-${s}-${k}`)
        events.push({
          type: 'recommendation.sent',
          sendId,
          senderId,
          titleId: `t${(s + k) % 9}`,
          interface: INTERFACES[(s + k) % 3],
          surface: SURFACES[(d + k) % 5],
          variant: shareDialogVariant(senderId),
          // Tandem has no Inbox API sends of its own here: external links only, so it reconciles.
          recipientType: 'external',
          at: atHour(day, 9 + k).toISOString(),
        })
        truth.sends += 1
        if ((s * 7 + d + k) % 3 === 0) {
          events.push({
            type: 'recommendation.click_confirmed',
            id: uuidOf(`click-${sendId}`),
            sendId,
            at: atHour(day, 11 + k).toISOString(),
          })
          truth.uniqueClicks += 1
        }
      }
    }
  }
  return { events, truth }
}

/** Posts events to a listening Marquee's ingest, 1000 a batch. */
export async function ingestEvents(
  marquee: { origin: string; config: { secretKey: Buffer } },
  events: unknown[],
) {
  for (let i = 0; i < events.length; i += 1000) {
    const res = await fetch(`${marquee.origin}/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${eventIngestToken(marquee.config.secretKey)}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ events: events.slice(i, i + 1000) }),
    })
    assert.equal(res.status, 200, await res.text())
  }
}
