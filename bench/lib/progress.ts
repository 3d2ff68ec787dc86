const BAR_WIDTH = 24

/** One line per phase on stdout; timed phases draw a bar in place when stdout is a terminal. */
export class Progress {
  #workload = ''
  #tty = process.stdout.isTTY === true

  workload(name: string, title: string): void {
    this.#workload = name
    process.stdout.write(`\n== ${name}: ${title}\n`)
  }

  phase(message: string): void {
    process.stdout.write(`[${this.#workload}] ${message}\n`)
  }

  /** A bar for `total` steps; `tick` advances it, `done` ends the line with a summary. */
  bar(label: string, total: number) {
    let count = 0
    let drawn = -1
    const draw = (final: boolean) => {
      const filled = total > 0 ? Math.round((count / total) * BAR_WIDTH) : BAR_WIDTH
      if (!final && (!this.#tty || filled === drawn)) return
      drawn = filled
      const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`
      const line = `[${this.#workload}] ${label} [${bar}] ${count}/${total}`
      process.stdout.write(this.#tty ? `\r${line}${final ? '\n' : ''}` : `${line}\n`)
    }
    return {
      tick: (n = 1) => {
        count = Math.min(total, count + n)
        draw(false)
      },
      done: (summary = '') => {
        draw(true)
        if (summary) this.phase(`${label}: ${summary}`)
      },
    }
  }

  /** A bar that fills over `seconds` of wall time while `work` runs. */
  async timed<T>(label: string, seconds: number, work: Promise<T>): Promise<T> {
    const bar = this.bar(`${label} (${seconds} s)`, seconds)
    const timer = setInterval(() => bar.tick(), 1000)
    try {
      return await work
    } finally {
      clearInterval(timer)
      bar.tick(seconds)
      bar.done()
    }
  }
}
