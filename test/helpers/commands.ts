import {afterEach, beforeEach} from 'vitest'

/** Commands run in-process add SIGINT listeners and may set process.exitCode: both are undone after each test. */
export function restoreProcessAfterEach(): void {
  let sigint: NodeJS.SignalsListener[] = []
  beforeEach(() => {
    sigint = process.listeners('SIGINT')
  })
  afterEach(() => {
    for (const l of process.listeners('SIGINT')) if (!sigint.includes(l)) process.off('SIGINT', l)
    process.exitCode = undefined
  })
}
