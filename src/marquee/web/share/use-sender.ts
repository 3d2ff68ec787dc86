import { useCallback, useState } from 'react'
import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import type { Surface, Title } from '../api/types.ts'
import { currentInterface } from '../lib/interface.ts'
import { matchResults, type Recipient, type RecipientResult } from './recipients.ts'

/** Sends one share request (one Idempotency-Key per submit) and keeps each recipient's outcome. */
export function useSender(title: Title, surface: Surface) {
  const [results, setResults] = useState<Record<string, RecipientResult>>({})
  const [copied, setCopied] = useState<string | null>(null)

  const send = useCallback(
    async (recipients: Recipient[], note: string) => {
      if (recipients.length === 0) return
      setResults((prev) => ({
        ...prev,
        ...Object.fromEntries(recipients.map((r) => [r.key, { status: 'pending' }])),
      }))
      try {
        const { shares } = await api.share({
          titleId: title.id,
          interface: currentInterface(),
          surface,
          ...(note.trim() && { note: note.trim() }),
          recipients: recipients.map((r) => r.payload),
        })
        const matched = matchResults(recipients, shares)
        setResults((prev) => ({
          ...prev,
          ...Object.fromEntries(
            recipients.map((r) => [
              r.key,
              matched.get(r.key) ?? { status: 'failed', error: 'No answer for this one' },
            ]),
          ),
        }))
        const link = matched.get('external:copy_link')?.url
        if (link) {
          try {
            await navigator.clipboard.writeText(link)
            setCopied(link)
          } catch {
            // No clipboard permission: the link stays on screen, selected, for the viewer to copy.
          }
        }
      } catch (failure) {
        const error = describeError(failure)
        setResults((prev) => ({
          ...prev,
          ...Object.fromEntries(recipients.map((r) => [r.key, { status: 'error', error }])),
        }))
      }
    },
    [title.id, surface],
  )

  const forget = useCallback((key: string) => {
    setResults((prev) => {
      const { [key]: _, ...rest } = prev
      return rest
    })
  }, [])

  return { results, send, forget, copied, setCopied }
}

export type Sender = ReturnType<typeof useSender>
