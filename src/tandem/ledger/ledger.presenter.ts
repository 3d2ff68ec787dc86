import type { Selectable } from 'kysely'
import type { LedgerEntriesTable } from '../db.ts'

type LedgerRow = Selectable<LedgerEntriesTable>

export const presentLedgerEntry = (row: LedgerRow) => ({
  id: String(row.seq),
  seq: row.seq,
  clientId: row.client_id,
  scope: row.scope,
  action: row.action,
  objectCount: row.object_count,
  purpose: row.purpose,
  details: row.details,
  createdAt: row.created_at.toISOString(),
  hash: row.hash,
  prevHash: row.prev_hash,
})

export const presentLedgerExport = (userId: string, rows: LedgerRow[], exportedAt: Date) => ({
  userId,
  exportedAt: exportedAt.toISOString(),
  entries: rows.map(presentLedgerEntry),
})

const CSV_COLUMNS = [
  'seq',
  'createdAt',
  'clientId',
  'scope',
  'action',
  'objectCount',
  'purpose',
  'details',
  'prevHash',
  'hash',
] as const

// A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV Injection").
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r'])

/** One RFC 4180 field: text is always quoted (quotes doubled) and defused if it could start a formula. */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value)
  const text = FORMULA_START.has(value.charAt(0)) ? `'${value}` : value
  return `"${text.replaceAll('"', '""')}"`
}

/** RFC 4180 text/csv with a header row and CRLF line ends; `details` is the entry's JSON. */
export function presentLedgerCsv(rows: LedgerRow[]): string {
  const lines = [CSV_COLUMNS.join(',')]
  for (const row of rows) {
    const entry = presentLedgerEntry(row)
    lines.push(
      CSV_COLUMNS.map((column) =>
        csvField(column === 'details' ? JSON.stringify(entry.details) : entry[column]),
      ).join(','),
    )
  }
  return `${lines.join('\r\n')}\r\n`
}
