/** Time comes from here so tests can move it; nothing else calls `new Date()` for decisions. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock that stands still until moved: for tests of expiry and lapse. */
export class ManualClock implements Clock {
  #now: number
  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.#now = new Date(start).getTime()
  }
  now(): Date {
    return new Date(this.#now)
  }
  advance(ms: number): void {
    this.#now += ms
  }
  set(at: Date | string): void {
    this.#now = new Date(at).getTime()
  }
}
