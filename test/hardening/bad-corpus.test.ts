import {readdirSync, statSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {describe, expect, it} from 'vitest'

import Inspect from '../../src/commands/inspect.js'
import type {InputSummary} from '../../src/model/types.js'
import type {InspectDocument} from '../../src/pipeline.js'
import {runAnalysis, runFleet} from '../../src/pipeline.js'
import {ONE_LINE, hasStack} from './helpers.js'
import {restoreProcessAfterEach} from '../helpers/commands.js'

const config = await Config.load(import.meta.url)
const BAD = fileURLToPath(new URL('../../corpus/bad/', import.meta.url))

type Expect = readonly [entry: string, format: string | null, error: RegExp | null]
const NOT_TEXT = /^binary data, not a supported text format: pass the text output of netstat, handle, wevtutil or Volatility$/

/** What `inspect` must say about each committed bad input (archive entries by their `!entry` suffix). */
const MANIFEST: Record<string, readonly Expect[]> = {
  'MEMORY.DMP': [['', 'kernel-dump', null]],
  'NetTrace.etl': [['', null, /netsh trace convert input=<file>\.etl/]],
  'case.tar.gz': [
    ['!case/latest', null, /^tar entry is a symlink; not read$/],
    ['!case/netsh.txt', 'netsh-dynamicport', null],
    ['!case/netstat.txt', 'netstat', null],
  ],
  'duplicate-names.zip': [['!netstat.txt', 'netstat', null], ['!netstat.txt#2', 'netstat', null]],
  'empty.txt': [['', null, /^empty input: the collection wrote nothing here; check the script ran and had rights to write$/]],
  'encrypted-entry.zip': [['!netstat.txt', 'netstat', null], ['!secret/netstat.txt', null, /encrypted; extract it with the password/]],
  'get-nettcpconnection-compress-one-line.json': [['', 'get-nettcpconnection', null]],
  'get-nettcpconnection-impossible-values.csv': [['', 'get-nettcpconnection', null]],
  'nested-three-levels.zip': [
    ['!middle.zip!deeper.zip', null, /nested more than one level deep; not read/],
    ['!middle.zip!netstat-mid.txt', 'netstat', null],
    ['!netstat-top.txt', 'netstat', null],
  ],
  'netstat-ansi-then-utf16le.txt': [['', 'netstat', null]],
  'netstat-clock-back.txt': [['', 'netstat', null]],
  'netstat-clock-forward.txt': [['', 'netstat', null]],
  'netstat-date-order-conflict.txt': [['', 'netstat', null]],
  'netstat-en-us-then-de.txt': [['', 'netstat', null]],
  'netstat-ends-mid-crlf.txt': [['', 'netstat', null]],
  'netstat-ends-mid-row.txt': [['', 'netstat', null]],
  'netstat-impossible-values.txt': [['', 'netstat', null]],
  'netstat-invalid-utf8.txt': [['', 'netstat', null]],
  'netstat-names-not-addresses.txt': [['', 'netstat', null]],
  'netstat-nul-tail.txt': [['', 'netstat', null]],
  'netstat-two-loops-interleaved.txt': [['', 'netstat', null]],
  'netstat-utf16le-odd-length.txt': [['', 'netstat', null]],
  'netstat-utf16le-then-ansi.txt': [['', 'netstat', null]],
  'nuls.txt': [['', null, NOT_TEXT]],
  'overlapping-entries.zip': [
    ['', null, /^5 entries \(copy1\.txt first\) share or overlap another entry's data, as a crafted zip does; not read$/],
    ['!copy0.txt', 'netstat', null],
  ],
  'ratio-bomb.zip': [
    ['!bomb.txt', null, /compression ratio \d+:1 looks like a zip bomb; not read/],
    ['!netstat.txt', 'netstat', null],
  ],
  'screenshot.png': [['', null, NOT_TEXT]],
  'tcpip-events-hostile.txt': [['', 'tcpip-events', null]],
  'terminal-escapes-first-line.txt': [['', null, /^not a recognised format \(starts with "\u001b\]0;owned/]],
  'traversal-names.zip': [
    ['!../../portleak-evil.txt', 'netstat', null],
    ['!/tmp/portleak-abs.txt', 'netstat', null],
    ['!C:/Windows/portleak.txt', 'netstat', null],
  ],
  // Read up to the cut and flagged partial (the rows before the cut are kept).
  'truncated.gz': [['', 'netstat', /^compressed data ends early \(truncated upload\?\); results are partial$/]],
  'truncated.zip': [['', null, /^not a readable zip archive \(.+\); the upload may be truncated$/]],
  'volatility-netscan-impossible-values.txt': [['', 'volatility-netscan', null]],
  'volatility-netscan-owner-newline.csv': [['', 'volatility-netscan', null]],
  'w3wp.dmp': [['', 'minidump', null]],
}

const files = () => readdirSync(BAD).filter((f) => f !== 'README.md').sort()
const paths = () => files().map((f) => BAD + f)

restoreProcessAfterEach()

/** Runs the command in-process; `exit` is the status the binary would end with (oclif's handler or process.exitCode). */
async function inspect(argv: string[]) {
  process.exitCode = undefined
  const out = await captureOutput<InspectDocument | undefined>(() => Inspect.run(argv, config))
  const error = out.error as (Error & {oclif?: {exit?: number}}) | undefined
  const exit = error ? (error.oclif?.exit ?? 1) : Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return {...out, error, exit}
}

describe('corpus/bad', () => {
  it('is small enough to commit and every file in it has an expectation', () => {
    const sizes = files().map((f) => statSync(BAD + f).size)
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(200 * 1024)
    expect(files()).toEqual(Object.keys(MANIFEST).sort())
  })

  it('is read in one inspect --json run: every input listed with its format or a one-line reason', async () => {
    const {stdout, exit, stderr} = await inspect([...paths(), '--json'])
    expect(exit).toBe(0)
    expect(hasStack(stderr)).toBe(false)
    const doc = JSON.parse(stdout) as InspectDocument
    const got = doc.inputs.map((s) => [s.path.slice(BAD.length), s.format, s.error] as const)
    const want = Object.entries(MANIFEST).flatMap(([file, entries]) =>
      entries.map(([entry, format, error]) => [file + entry, format, error] as const),
    )
    expect(got.map(([p, f]) => [p, f])).toEqual(want.map(([p, f]) => [p, f]))
    got.forEach(([path, , error], i) => {
      const expected = want[i]![2]
      if (expected === null) expect(error, path).toBeNull()
      else {
        expect(error, path).toMatch(expected)
        expect(error, path).toMatch(ONE_LINE)
      }
    })
  })

  for (const file of Object.keys(MANIFEST)) {
    it(`${file}: inspect exits 0 or 1 with a one-line message, never an internal error`, async () => {
      const {exit, stdout, stderr, error} = await inspect([BAD + file, '--json'])
      expect([0, 1]).toContain(exit)
      expect(hasStack(stdout + stderr)).toBe(false)
      expect(error?.message ?? '').not.toMatch(/internal error/)
      const readable = MANIFEST[file]!.some(([, format]) => format !== null)
      if (readable) expect((JSON.parse(stdout) as InspectDocument).inputs.some((s: InputSummary) => s.format !== null)).toBe(true)
      else {
        expect(exit).toBe(1)
        const body = JSON.parse(stdout) as {error: {message: string}}
        expect(body.error.message).toMatch(ONE_LINE)
        expect(body.error.message).toContain(file)
      }
    })
  }

  it('analyzes every bad input at once without an error', async () => {
    // Loops of the same hours that do not repeat each other are separate timelines: one analysis each.
    const f = await runFleet(paths(), {})
    const docs = f.machines.map((m) => m.analysis.document)
    expect(f.inputs.length).toBe(Object.values(MANIFEST).flat().length)
    expect(docs.reduce((n, d) => n + d.snapshots, 0)).toBeGreaterThan(20)
    expect(docs.some((d) => d.sampling.backwardSteps > 0)).toBe(true)
    // Read as one machine, as before the split: one timeline of everything.
    const one = await runAnalysis(paths(), {oneMachine: true})
    expect(one.document.inputs.length).toBe(Object.values(MANIFEST).flat().length)
    expect(one.document.sampling.backwardSteps).toBeGreaterThan(0)
  })
})
