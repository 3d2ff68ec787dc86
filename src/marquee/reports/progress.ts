import type { DeliveryStage } from './delivery.ts'

export const STAGE_LABELS: Record<DeliveryStage, string> = {
  reading: 'reading rollups',
  noising: 'noising',
  signing: 'signing',
  storing: 'storing the version',
  delivering: 'delivering to Tandem',
}

const ORDER: readonly DeliveryStage[] = ['reading', 'noising', 'signing', 'storing', 'delivering']
const WIDTH = 24

/** One line of the bar: `[#########...............]  2/5 noising`. */
export function progressLine(
  stage: DeliveryStage | 'done',
  stages: readonly DeliveryStage[] = ORDER,
): string {
  const done = stage === 'done' ? stages.length : stages.indexOf(stage)
  const filled = Math.round((WIDTH * done) / stages.length)
  const label = stage === 'done' ? 'done' : STAGE_LABELS[stage]
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${stages.length} ${label}`
}

/**
 * A progress bar: on a terminal one line redrawn in place, otherwise one line per stage (logs stay
 * readable). Returns the stage listener and `finish`.
 */
export function progressBar(out: { write: (text: string) => void; isTTY?: boolean }) {
  let last = ''
  const draw = (line: string) => {
    if (out.isTTY) out.write(`\r${line.padEnd(last.length)}`)
    else out.write(`${line}\n`)
    last = line
  }
  return {
    stage: (stage: DeliveryStage) => draw(progressLine(stage)),
    finish: () => {
      if (!last) return
      draw(progressLine('done'))
      if (out.isTTY) out.write('\n')
    },
  }
}
