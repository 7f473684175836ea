/**
 * The workload of the long-blank-runs test, run in a child process (see long-lines.test.ts): a pattern
 * that takes more than linear time would block a test worker for minutes to hours, so the test runs
 * this under a time limit instead and fails when it is exceeded.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {accountedLines, CollectingSink} from '../../src/formats/shared/collect.js'
import {parsers} from '../../src/formats/registry.js'

const CORPUS = fileURLToPath(new URL('../../corpus/', import.meta.url))

export type BlankRunTimes = {
  /** Per parser: milliseconds for its fixtures' contexts with the hostile lines, and lines accounted for out of lines fed. */
  lines: Record<string, {ms: number; accounted: number; fed: number}>
  /** Milliseconds for every parser's detect on every sample of blank lines, and the highest confidence given. */
  detect: {ms: number; confidence: number}
}

export function blankRunTimes(): BlankRunTimes {
  const run = ' '.repeat(100_000)
  const hostile = [
    `0xfffffa8${run}x`, `0xfffffa8 a${run}x`, `0xfffffa8 a${run}1 2 3 4 5 6`, `. 0x86c0cb18:${run}x`,
    `a${run}x pid: 1 type: File`, `  a${run}x`, `  a${run}: 5x`, `1 id: 1f x name: a${run}x`, `${run}x`,
    `  TCP ${run} x`, `Handle${run}x`, `"a",${run}"b"`, `a:${run}x`, `PROCESS ${run}x`, `a${run}b${run}c`,
  ]
  const lines: BlankRunTimes['lines'] = {}
  for (const parser of parsers) {
    const dir = join(CORPUS, parser.id)
    // A fixture's first lines put the parser in each of its modes (headers, tables, blocks).
    const contexts = existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(join(dir, f), 'latin1').split(/\r?\n/).slice(0, 25)) : [[]]
    const started = performance.now()
    let accounted = 0
    let fed = 0
    for (const context of contexts) {
      const sink = new CollectingSink()
      const lp = parser.create(sink, {path: 'x'})
      const all = [...context, ...hostile, ...context.slice(-5), ...hostile]
      all.forEach((l, i) => lp.line(l, i + 1))
      lp.end(true)
      accounted += accountedLines(sink.result)
      fed += all.length
    }
    lines[parser.id] = {ms: performance.now() - started, accounted, fed}
  }
  const samples = ['\r\n', '\n', ' \r\n', '\t\n', ' ', '\r\n\r\nHandle 4 ', '\r\n 0: '].map((unit) => unit.repeat(Math.ceil(65_536 / unit.length)).slice(0, 65_536))
  const started = performance.now()
  let confidence = 0
  for (const parser of parsers) for (const sample of samples) confidence = Math.max(confidence, parser.detect(sample))
  return {lines, detect: {ms: performance.now() - started, confidence}}
}
