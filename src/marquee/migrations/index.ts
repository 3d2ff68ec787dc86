import type { Migrations } from '../../lib/migrate.ts'
import * as m0001 from './0001_core.ts'
import * as m0002 from './0002_catalog.ts'
import * as m0003 from './0003_tandem_link.ts'
import * as m0004 from './0004_sharing.ts'
import * as m0005 from './0005_reports.ts'
import * as m0006 from './0006_report_delivery.ts'
import * as m0007 from './0007_sender_day_totals.ts'
import * as m0008 from './0008_signing_key_schedule.ts'
import * as m0009 from './0009_clip_precompute.ts'
import * as m0010 from './0010_sender_counts_queue.ts'

export const migrations: Migrations = {
  '0001_core': m0001,
  '0002_catalog': m0002,
  '0003_tandem_link': m0003,
  '0004_sharing': m0004,
  '0005_reports': m0005,
  '0006_report_delivery': m0006,
  '0007_sender_day_totals': m0007,
  '0008_signing_key_schedule': m0008,
  '0009_clip_precompute': m0009,
  '0010_sender_counts_queue': m0010,
}
