import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

const live = new Set<ChildProcess>()

// A run cut short must not leave servers behind: children die with the runner.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

export interface RunningChild {
  pid: number
  /** The first match of the ready pattern. */
  ready: RegExpMatchArray
  /** The last lines the child wrote, for error messages. */
  output(): string
  stop(): Promise<void>
}

export interface ChildOptions {
  name: string
  script: string
  env: Record<string, string>
  /** Node flags, before the script. */
  execArgv?: string[]
  /** A line on stdout that says the child is serving. */
  ready: RegExp
  timeoutMs?: number
}

/** Starts a Node script in its own process (its own event loop) and waits for its ready line. */
export async function startChild(options: ChildOptions): Promise<RunningChild> {
  const child = spawn(process.execPath, [...(options.execArgv ?? []), options.script], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  child.once('exit', () => live.delete(child))
  let tail = ''
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000)
  }
  child.stderr!.on('data', keep)

  const ready = await new Promise<RegExpMatchArray>((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(
      () => fail(`did not print its ready line within ${options.timeoutMs ?? 60_000} ms`),
      options.timeoutMs ?? 60_000,
    )
    const onData = (chunk: Buffer) => {
      keep(chunk)
      buffered += chunk.toString()
      const match = buffered.match(options.ready)
      if (match) {
        clearTimeout(timer)
        child.removeListener('exit', onExit)
        resolve(match)
      }
    }
    const onExit = (code: number | null) => fail(`exited with ${code} before it was ready`)
    const fail = (why: string) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${options.name} ${why}:\n${tail}`))
    }
    child.stdout!.on('data', onData)
    child.once('exit', onExit)
  })

  let stopping: Promise<void> | undefined
  return {
    pid: child.pid!,
    ready,
    output: () => tail,
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
      })()
      return stopping
    },
  }
}

/** A port nothing listens on right now, so a child can be told its port before it starts. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}
