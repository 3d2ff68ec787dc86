import { useEffect, useRef } from 'react'

interface ConfirmActionsProps {
  question: string
  confirmLabel: string
  onConfirm: () => void
  onCancel: () => void
  busy: boolean
}

/** An inline "are you sure" in place of a row's buttons; focus moves to it and back out on cancel. */
export function ConfirmActions({ question, confirmLabel, onConfirm, onCancel, busy }: ConfirmActionsProps) {
  const confirm = useRef<HTMLButtonElement>(null)
  useEffect(() => confirm.current?.focus(), [])
  return (
    // biome-ignore lint/a11y/useSemanticElements: an inline group of two buttons, not a form field set
    <span className="confirm" role="group" aria-label={question}>
      <span className="confirm-question">{question}</span>
      <button
        ref={confirm}
        type="button"
        className="button button-danger button-small"
        disabled={busy}
        onClick={onConfirm}
      >
        {confirmLabel}
      </button>
      <button
        type="button"
        className="button button-small"
        onClick={onCancel}
        onKeyDown={(e) => e.key === 'Escape' && onCancel()}
      >
        Cancel
      </button>
    </span>
  )
}
