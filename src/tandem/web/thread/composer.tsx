import { type FormEvent, type KeyboardEvent, useId, useLayoutEffect, useRef, useState } from 'react'
import { SendIcon } from '../ui/icons.tsx'

const MAX_LENGTH = 4000
const WARN_AT = 3500

// Unsent text per thread, kept while moving between conversations in this tab.
const drafts = new Map<string, string>()

interface ComposerProps {
  threadId: string
  recipient: string
  onSend: (text: string) => void
  autoFocus: boolean
}

/** Enter sends, Shift+Enter starts a new line; the box grows with its text up to a few lines. */
export function Composer({ threadId, recipient, onSend, autoFocus }: ComposerProps) {
  const [text, setTextState] = useState(() => drafts.get(threadId) ?? '')
  const setText = (value: string) => {
    if (value) drafts.set(threadId, value)
    else drafts.delete(threadId)
    setTextState(value)
  }
  const box = useRef<HTMLTextAreaElement>(null)
  const id = useId()
  const tooLong = text.length > MAX_LENGTH
  const empty = text.trim().length === 0

  useLayoutEffect(() => {
    if (autoFocus) box.current?.focus()
  }, [autoFocus])

  // biome-ignore lint/correctness/useExhaustiveDependencies: the height follows the text
  useLayoutEffect(() => {
    const el = box.current
    if (!el) return
    el.style.height = 'auto'
    el.style.height = `${Math.min(el.scrollHeight, 180)}px`
  }, [text])

  const submit = (event?: FormEvent) => {
    event?.preventDefault()
    if (empty || tooLong) return
    onSend(text)
    setText('')
    box.current?.focus()
  }

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault()
      submit()
    }
  }

  return (
    <form className="composer" onSubmit={submit} data-testid="composer-form">
      <label htmlFor={id} className="sr-only">
        Message {recipient}
      </label>
      <textarea
        id={id}
        ref={box}
        rows={1}
        value={text}
        placeholder={`Message ${recipient}`}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        aria-describedby={`${id}-help`}
        aria-invalid={tooLong || undefined}
        data-testid="composer"
      />
      <button type="submit" className="composer-send" disabled={empty || tooLong} aria-label="Send">
        <SendIcon />
      </button>
      <p id={`${id}-help`} className={`composer-help${text.length > WARN_AT ? ' is-visible' : ''}`}>
        {text.length > WARN_AT
          ? `${text.length} / ${MAX_LENGTH} characters${tooLong ? ': too long to send' : ''}`
          : 'Enter to send, Shift+Enter for a new line'}
      </p>
    </form>
  )
}
