import type { Migrations } from '../../lib/migrate.ts'
import * as m0001 from './0001_core.ts'
import * as m0002 from './0002_partner_platform.ts'
import * as m0003 from './0003_partner_apis.ts'
import * as m0004 from './0004_partner_reports.ts'
import * as m0005 from './0005_click_counts.ts'
import * as m0006 from './0006_report_reconciliation.ts'
import * as m0007 from './0007_daily_count_shards.ts'
import * as m0008 from './0008_partner_sends_day_indexes.ts'
import * as m0009 from './0009_partner_sender_turns.ts'
import * as m0010 from './0010_partner_sends_client_key.ts'
import * as m0011 from './0011_partner_send_conflict.ts'

export const migrations: Migrations = {
  '0001_core': m0001,
  '0002_partner_platform': m0002,
  '0003_partner_apis': m0003,
  '0004_partner_reports': m0004,
  '0005_click_counts': m0005,
  '0006_report_reconciliation': m0006,
  '0007_daily_count_shards': m0007,
  '0008_partner_sends_day_indexes': m0008,
  '0009_partner_sender_turns': m0009,
  '0010_partner_sends_client_key': m0010,
  '0011_partner_send_conflict': m0011,
}
