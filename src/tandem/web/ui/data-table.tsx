import type { ReactNode } from 'react'

/**
 * A column heading: its words, or `num` for right-aligned figures, `wideOnly` for a column phones
 * leave out and `hidden` for one only screen readers need named (a column of buttons).
 */
export type Column = string | { label: string; num?: boolean; wideOnly?: boolean; hidden?: boolean }

interface DataTableProps {
  caption: string
  /** `false` leaves a column out. */
  columns: (Column | false | undefined)[]
  testId?: string
  className?: string
  /** The rows. */
  children: ReactNode
}

function Heading({ column }: { column: Column }) {
  const { label, num, wideOnly, hidden } = typeof column === 'string' ? { label: column } : column
  const className = [num && 'num', wideOnly && 'wide-only'].filter(Boolean).join(' ') || undefined
  return (
    <th scope="col" className={className}>
      {hidden ? <span className="sr-only">{label}</span> : label}
    </th>
  )
}

/** A table that scrolls sideways on its own when too wide, with a caption for screen readers. */
export function DataTable({ caption, columns, testId, className, children }: DataTableProps) {
  return (
    <div className="table-wrap">
      <table className={className ? `data-table ${className}` : 'data-table'} data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map(
              (column) =>
                column && (
                  <Heading key={typeof column === 'string' ? column : column.label} column={column} />
                ),
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  )
}
