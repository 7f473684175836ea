#!/usr/bin/env node
import {execute} from '@oclif/core'

// A failed write to stdout is reported by the command itself (one line, exit 1). oclif's own
// listener rethrows every stream error but EPIPE as a stack trace (its final flush on a full disk
// does that): keep the exit status, drop the trace.
process.stdout.removeAllListeners('error')
process.stdout.on('error', () => {
  process.exitCode ||= 1
})

await execute({dir: import.meta.url})
