#!/usr/bin/env node
import {fileURLToPath} from 'node:url'
import {setFlagsFromString} from 'node:v8'

// V8 compiles a function with TurboFan once it has run a while, in every thread (the main one and each
// worker), on background threads that take the same two cores. A run is short and most of its code runs
// once per snapshot or once per run: four times V8's interrupt budget (67,584) leaves that code to the
// baseline tiers and still compiles what runs hot. Measured: about 160 → 90 TurboFan compilations on the
// 0.5 GB UTF-16 bench loop and 3–6 % less time there, 11–17 % less CPU on a corpus loop at the same wall
// time, about 2 % more on the analysis-heavy short-lived loop. A budget given to node itself is kept.
if (!process.execArgv.some((a) => a.startsWith('--interrupt-budget'))) setFlagsFromString('--interrupt-budget=270336')

// The largest input named starts being hashed now, on the core start-up (about 0.13 s) leaves idle
// (src/input/hash-thread.ts hashEarly; it never throws, and a build without it just hashes later).
await import('../dist/input/hash-thread.js').then((m) => m.hashEarly(process.argv.slice(2)), () => {})

// oclif from the build's chunks (scripts/bundle.mjs), the copy the commands extend. A checkout that was
// never built has none: one line saying so, not a stack trace.
const cli = new URL('../dist/cli.js', import.meta.url)
const {execute} = await import(cli.href).catch((error) => {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const missing = error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(fileURLToPath(cli))
  process.stderr.write(
    missing
      ? `portleak: not built (${fileURLToPath(cli)} is missing): run \`npm install\` or \`npm run build\` in ${root}\n`
      : `portleak: the build in ${root} does not load (${String(error?.message ?? error).split('\n')[0]}): run \`npm run build\` there\n`,
  )
  process.exit(1)
})

// A failed write to stdout is reported by the command itself (one line, exit 1). oclif's own
// listener rethrows every stream error but EPIPE as a stack trace (its final flush on a full disk
// does that): keep the exit status, drop the trace.
process.stdout.removeAllListeners('error')
process.stdout.on('error', () => {
  process.exitCode ||= 1
})

await execute({dir: import.meta.url})
