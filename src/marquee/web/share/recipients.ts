import type { ShareRecipient, ShareResult, TandemFriends, TandemStatus } from '../api/types.ts'

export interface Recipient {
  key: string
  kind: 'friend' | 'suggestion' | 'external'
  name: string
  detail?: string
  avatarUrl?: string | null
  payload: ShareRecipient
}

export interface RecipientResult {
  status: string
  url?: string | undefined
  /** The request as a whole failed: the sentence to show. */
  error?: string | undefined
  /** Why this one recipient was not reached, as Marquee's stable code. */
  reason?: string | undefined
}

export const externalRecipients: Recipient[] = [
  {
    key: 'external:copy_link',
    kind: 'external',
    name: 'Copy link',
    detail: 'Paste it anywhere',
    payload: { type: 'external', channel: 'copy_link' },
  },
  {
    key: 'external:email',
    kind: 'external',
    name: 'E-mail',
    detail: 'Opens your e-mail app',
    payload: { type: 'external', channel: 'email' },
  },
]

export function tandemRecipients(friends: TandemFriends | null): {
  friends: Recipient[]
  suggestions: Recipient[]
} {
  return {
    friends: (friends?.appFriends ?? []).map((f) => ({
      key: `friend:${f.id}`,
      kind: 'friend',
      name: f.name,
      detail: 'On Marquee',
      avatarUrl: f.avatarUrl,
      payload: { type: 'tandem', id: f.id },
    })),
    suggestions: (friends?.suggestions ?? []).map((s) => ({
      key: `suggestion:${s.handle}`,
      kind: 'suggestion',
      name: s.name,
      detail: 'Not on Marquee yet',
      avatarUrl: s.avatarUrl,
      payload: { type: 'tandem', handle: s.handle },
    })),
  }
}

/** What the viewer granted Marquee on Tandem, as the dialog needs it. */
export function grants(tandem: TandemStatus | null) {
  const scopes = new Set(tandem?.connected ? tandem.scopes : [])
  return {
    connected: Boolean(tandem?.connected),
    send: scopes.has('recommendations.send'),
    appFriends: scopes.has('friends.app'),
    suggestions: scopes.has('friends.suggest'),
  }
}

function recipientValue(recipient: unknown): string | undefined {
  if (typeof recipient === 'string') return recipient
  if (recipient && typeof recipient === 'object') {
    const r = recipient as { id?: unknown; handle?: unknown; channel?: unknown }
    for (const value of [r.id, r.handle, r.channel]) if (typeof value === 'string') return value
  }
  return undefined
}

function payloadValue(payload: ShareRecipient): string {
  if (payload.type === 'external') return payload.channel
  return 'id' in payload ? payload.id : payload.handle
}

/** Pairs each answered share with the recipient it was for: by id, handle or channel, else by position. */
export function matchResults(sent: Recipient[], shares: ShareResult[]): Map<string, RecipientResult> {
  const results = new Map<string, RecipientResult>()
  const unmatched = [...sent]
  const leftovers: ShareResult[] = []
  for (const share of shares) {
    const value = recipientValue(share.recipient)
    const index = unmatched.findIndex((r) => payloadValue(r.payload) === value)
    if (index >= 0) {
      const [recipient] = unmatched.splice(index, 1)
      results.set(recipient!.key, { status: share.status, url: share.url, reason: share.error })
    } else leftovers.push(share)
  }
  for (const [i, share] of leftovers.entries()) {
    const recipient = unmatched[i]
    if (recipient) results.set(recipient.key, { status: share.status, url: share.url, reason: share.error })
  }
  return results
}

const statusLabels: Record<string, string> = {
  sent: 'Sent',
  delivered: 'Sent',
  created: 'Link ready',
  link_created: 'Link ready',
  not_delivered: 'Not delivered',
  muted: 'Not delivered',
  capped: 'Daily limit reached',
  rate_limited: 'Too many sends, try later',
  expired: 'Suggestion expired',
  failed: 'Failed',
  error: 'Failed',
  pending: 'Sending…',
}

const reasons: Record<string, string> = {
  tandem_unreachable: 'Tandem did not answer; try again later',
  invalid_grant: 'Marquee is no longer connected to Tandem',
  insufficient_scope: 'Marquee may not send this on Tandem',
  agreement_lapsed: 'Tandem does not allow this right now',
  rate_limited: 'too many sends, try later',
  daily_cap_exceeded: 'daily limit reached',
}

const words = (code: string) => code.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase())

export function statusLabel(result: RecipientResult): string {
  if (result.error) return result.error
  const label = statusLabels[result.status] ?? words(result.status)
  if (!result.reason) return label
  return `${label}: ${reasons[result.reason] ?? words(result.reason).toLowerCase()}`
}

const failures = new Set([
  'not_delivered',
  'muted',
  'capped',
  'rate_limited',
  'expired',
  'failed',
  'error',
  'rejected',
  'blocked',
])

/** Whether a recipient got (or can get) the title; unknown statuses count as sent. */
export const succeeded = (result: RecipientResult | undefined) =>
  result !== undefined && !result.error && result.status !== 'pending' && !failures.has(result.status)
