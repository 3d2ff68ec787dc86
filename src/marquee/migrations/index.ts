import type { Migrations } from '../../lib/migrate.ts'
import * as m0001 from './0001_core.ts'

export const migrations: Migrations = {
  '0001_core': m0001,
}
