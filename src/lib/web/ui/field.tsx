import { type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes, useId } from 'react'

interface FieldText {
  label: string
  error?: string | undefined
  hint?: string | undefined
}

interface ControlAria {
  id: string
  'aria-invalid': true | undefined
  'aria-describedby': string | undefined
}

/** The label, hint and error around one control, tied to it for screen readers. */
function LabelledControl({
  field: { label, error, hint, id },
  control,
}: {
  field: FieldText & { id: string | undefined }
  control: (aria: ControlAria) => ReactNode
}) {
  const generated = useId()
  const inputId = id ?? generated
  const hintId = hint ? `${inputId}-hint` : undefined
  const errorId = error ? `${inputId}-error` : undefined
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      {control({ id: inputId, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint && (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  )
}

type FieldProps<Control> = FieldText & Control & { id?: string | undefined }
type ControlProps<Control> = Omit<FieldProps<Control>, keyof FieldText | 'id'>

/** A field component around the control `render` draws, passing it the ids and the props left over. */
function labelled<Control>(render: (aria: ControlAria, props: ControlProps<Control>) => ReactNode) {
  return ({ label, error, hint, id, ...props }: FieldProps<Control>) => (
    <LabelledControl field={{ label, error, hint, id }} control={(aria) => render(aria, props)} />
  )
}

/** A labelled text input with its hint and error tied to it for screen readers. */
export const Field = labelled<InputHTMLAttributes<HTMLInputElement>>((aria, input) => (
  <input {...aria} {...input} />
))

/** A labelled multi-line input, with its hint and error tied to it like `Field`. */
export const TextAreaField = labelled<TextareaHTMLAttributes<HTMLTextAreaElement>>((aria, textarea) => (
  <textarea {...aria} {...textarea} />
))
