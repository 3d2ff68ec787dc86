import { type ReactNode, useId } from 'react'

interface SwitchProps {
  label: string
  checked: boolean
  disabled?: boolean
  onChange: (checked: boolean) => void
  testId?: string
  children?: ReactNode
}

/** An on/off setting: a button with role switch, its label and explanation tied to it. */
export function Switch({ label, checked, disabled, onChange, testId, children }: SwitchProps) {
  const id = useId()
  return (
    <div className="switch-row">
      <div className="switch-text">
        <span id={`${id}-label`} className="switch-label">
          {label}
        </span>
        {children && (
          <div id={`${id}-desc`} className="muted small">
            {children}
          </div>
        )}
      </div>
      <button
        type="button"
        role="switch"
        className="switch"
        aria-checked={checked}
        aria-labelledby={`${id}-label`}
        aria-describedby={children ? `${id}-desc` : undefined}
        disabled={disabled}
        data-testid={testId}
        onClick={() => onChange(!checked)}
      >
        <span className="switch-thumb" aria-hidden="true" />
      </button>
    </div>
  )
}
