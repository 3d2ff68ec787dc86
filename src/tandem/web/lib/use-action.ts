import { useState } from 'react'
import { describeError } from '../api/http.ts'

/** Runs one action at a time for a list, keeping the last error to show next to it. */
export function useAction() {
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const run = async (id: string, action: () => Promise<unknown>) => {
    setBusy(id)
    setError(null)
    try {
      await action()
    } catch (failure) {
      setError(describeError(failure))
    } finally {
      setBusy(null)
    }
  }
  return { busy, error, run }
}
