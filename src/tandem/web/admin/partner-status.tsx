import type { Compliance, PrivilegedApi } from '../api/types.ts'
import { Pill } from '../ui/pill.tsx'

/** In agreement or not, at a glance; a suspended partner is out of agreement whatever it signed. */
export function AgreementPill({ compliance }: { compliance: Pick<Compliance, 'inAgreement' | 'status'> }) {
  if (compliance.status === 'suspended')
    return (
      <Pill tone="bad" testId="agreement-state">
        Suspended
      </Pill>
    )
  return compliance.inAgreement ? (
    <Pill tone="good" testId="agreement-state">
      In agreement
    </Pill>
  ) : (
    <Pill tone="warn" testId="agreement-state">
      Out of agreement
    </Pill>
  )
}

export const PRIVILEGED_APIS: readonly PrivilegedApi[] = ['inbox', 'friends', 'activity', 'reporting']

export const API_LABELS = {
  inbox: 'Inbox',
  friends: 'Friends',
  activity: 'Activity',
  reporting: 'Reporting',
} as const

export const API_DESCRIPTIONS = {
  inbox: 'send recommendations to friends’ inboxes (recommendations.send)',
  friends: 'friends who use the app, and suggestions (friends.app, friends.suggest)',
  activity: 'post what the user watches (activity.publish)',
  reporting: 'deliver the partner report (reports.submit)',
} as const

export function reportCounts(compliance: Pick<Compliance, 'reports'>) {
  const due = compliance.reports.due.filter((r) => r.status === 'due').length
  const late = compliance.reports.due.filter((r) => r.status === 'late').length
  const received = compliance.reports.due.filter((r) => r.status === 'received').length
  return { due, late, received }
}
