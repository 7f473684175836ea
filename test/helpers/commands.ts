import {afterEach, beforeEach} from 'vitest'

const SIGNALS = ['SIGINT', 'SIGTERM'] as const

/** Commands run in-process add signal listeners and may set process.exitCode: both are undone after each test. */
export function restoreProcessAfterEach(): void {
  let before = new Map<string, NodeJS.SignalsListener[]>()
  beforeEach(() => {
    before = new Map(SIGNALS.map((s) => [s, process.listeners(s)]))
  })
  afterEach(() => {
    for (const s of SIGNALS) for (const l of process.listeners(s)) if (!before.get(s)!.includes(l)) process.off(s, l)
    process.exitCode = undefined
  })
}
