import type { DeletionRequest } from '../api/types.ts'
import { dateOnly, fromNow, fullTime } from '../lib/format.ts'
import { Pill } from '../ui/pill.tsx'

/**
 * Where an app's deletion of my data stands after I revoked it: asked (with the due date),
 * confirmed by a signed receipt (when and what), or overdue.
 */
export function DeletionStatus({ deletion, appName }: { deletion: DeletionRequest | null; appName: string }) {
  if (!deletion) {
    return (
      <div className="deletion" data-testid="deletion-status" data-status="none">
        <p className="muted">No deletion request on record.</p>
      </div>
    )
  }
  return (
    <div
      className={`deletion deletion-${deletion.status}`}
      data-testid="deletion-status"
      data-status={deletion.status}
    >
      {deletion.status === 'received' && deletion.receipt ? (
        <>
          <Pill tone="good">Data deleted</Pill>
          <p>
            {appName} confirmed with a signed receipt that it deleted your data on{' '}
            <strong>{fullTime(deletion.receipt.deletedAt)}</strong>.
          </p>
          {deletion.receipt.categories.length > 0 && (
            <div className="deletion-categories">
              <span className="muted small">What it deleted:</span>
              <ul className="chips" aria-label="Deleted data categories">
                {deletion.receipt.categories.map((category) => (
                  <li key={category} className="chip">
                    {category}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {deletion.receivedAt && (
            <p className="muted small">Receipt received {fullTime(deletion.receivedAt)}.</p>
          )}
        </>
      ) : deletion.status === 'overdue' ? (
        <>
          <Pill tone="bad">Deletion overdue</Pill>
          <p>
            {appName} was due to confirm by <strong>{dateOnly(deletion.dueAt)}</strong> that it deleted your
            data, and has not. Tandem’s admins see this in {appName}’s compliance record.
          </p>
        </>
      ) : (
        <>
          <Pill tone="info">Deletion requested</Pill>
          <p>
            Tandem asked {appName} on {dateOnly(deletion.requestedAt)} to delete the data it got about you. It
            must send a signed receipt by <strong>{dateOnly(deletion.dueAt)}</strong> (
            {fromNow(deletion.dueAt)}).
          </p>
        </>
      )}
    </div>
  )
}
