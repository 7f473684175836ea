import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {accountedLines, CollectingSink} from '../../src/parsers/collect.js'
import {parsers} from '../../src/parsers/registry.js'
import {inspectInputs} from '../../src/pipeline.js'
import {row, snapshot} from './helpers.js'

const MiB = 1024 * 1024

/** A loop whose second snapshot holds one `mib`-MiB line (a log line with no newline: a binary dump pasted in). */
function* withHugeLine(mib: number, encoding: BufferEncoding): Generator<Buffer> {
  yield Buffer.from(snapshot('2023-03-14 10:00:00.00', 3) + snapshot('2023-03-14 10:01:00.00', 2), encoding)
  const block = Buffer.from('A'.repeat(MiB), encoding)
  for (let i = 0; i < mib; i++) yield block
  yield Buffer.from(`\r\n${row(50100)}${snapshot('2023-03-14 10:02:00.00', 4)}`, encoding)
}

/** Reads the stream through the real input layer, sampling RSS at every progress report. */
async function readWithPeak(chunks: () => Iterable<Buffer>) {
  let peak = process.memoryUsage().rss
  const doc = await inspectInputs(['-'], {
    stdin: () => Readable.from(chunks()),
    onProgress: () => void (peak = Math.max(peak, process.memoryUsage().rss)),
  })
  return {s: doc.inputs[0]!, peakMiB: peak / MiB}
}

describe('a 200 MB single line', () => {
  for (const [encoding, name] of [
    ['latin1', 'UTF-8 (byte fast path)'],
    ['utf16le', 'UTF-16LE (decoded text path)'],
  ] as const) {
    it(`is skipped as too-long and the rows after it are read, in bounded memory: ${name}`, async () => {
      const mib = encoding === 'utf16le' ? 100 : 200 // 100 Mi UTF-16 characters are 200 MiB of bytes
      const {s, peakMiB} = await readWithPeak(() => withHugeLine(mib, encoding))
      expect(s.bytes).toBeGreaterThanOrEqual(200 * MiB)
      expect(s).toMatchObject({
        format: 'netstat',
        encoding: encoding === 'utf16le' ? 'utf-16le' : 'utf-8',
        snapshots: 3,
        records: 3 + 2 + 1 + 4,
        skipped: 1,
        skippedByReason: {'too-long': 1},
        error: null,
      })
      const example = s.skippedExamples[0]!
      expect(example).toMatchObject({reason: 'too-long', line: 8 + 7 + 1})
      expect(example.text.length).toBeLessThanOrEqual(201)
      // One skipped line, not one per chunk: the row after it is line 17, the last snapshot 9 more.
      expect(s.lines).toBe(16 + 1 + 9)
      expect(peakMiB).toBeLessThan(400)
    })
  }

  it('skips every over-long line as too-long, also when it arrives whole with its newline in one chunk', async () => {
    const long = 'x'.repeat(3 * MiB)
    const text = `${snapshot('2023-03-14 10:00:00.00', 2)}${long}\r\n${long}\r\n${row(50100)}${long}`
    for (const encoding of ['utf8', 'utf16le'] as const) {
      const doc = await inspectInputs(['-'], {stdin: () => Readable.from([Buffer.from(text, encoding)])})
      expect(doc.inputs[0]).toMatchObject({records: 3, skippedByReason: {'too-long': 3}, lines: 7 + 4})
    }
  })
})

describe('long blank runs', () => {
  // Damaged or padded text can hold lines of mostly blanks; a pattern that lets two `\s+` (or `.*?` and
  // `\s*`) share a blank run takes quadratic or cubic time in its length (10 s for one 16 KB line,
  // found by `npm run fuzz`). Every parser, put in each of its modes by a fixture's first lines, must
  // take such lines in linear time: 100,000 blanks would take minutes to hours otherwise.
  const run = ' '.repeat(100_000)
  const hostile = [
    `0xfffffa8${run}x`, `0xfffffa8 a${run}x`, `0xfffffa8 a${run}1 2 3 4 5 6`, `. 0x86c0cb18:${run}x`,
    `a${run}x pid: 1 type: File`, `  a${run}x`, `  a${run}: 5x`, `1 id: 1f x name: a${run}x`, `${run}x`,
    `  TCP ${run} x`, `Handle${run}x`, `"a",${run}"b"`, `a:${run}x`, `PROCESS ${run}x`, `a${run}b${run}c`,
  ]
  const CORPUS = fileURLToPath(new URL('../../corpus/', import.meta.url))
  for (const parser of parsers) {
    it(`takes them in linear time: ${parser.id}`, () => {
      const dir = join(CORPUS, parser.id)
      const contexts = existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(join(dir, f), 'latin1').split(/\r?\n/).slice(0, 25)) : [[]]
      const started = performance.now()
      for (const context of contexts) {
        const sink = new CollectingSink()
        const lp = parser.create(sink, {path: 'x'})
        const lines = [...context, ...hostile, ...context.slice(-5), ...hostile]
        lines.forEach((l, i) => lp.line(l, i + 1))
        lp.end(true)
        expect(accountedLines(sink.result)).toBe(lines.length)
      }
      // Linear time is a few ms per fixture here; the patterns this replaced took minutes.
      expect(performance.now() - started).toBeLessThan(5000)
    })
  }

  // Format detection reads a 64 KiB sample at once: `^\s*` under the m flag rescans every blank line
  // after each line start (quadratic: 14 s for a sample of blank lines, found by `npm run fuzz`).
  const samples = ['\r\n', '\n', ' \r\n', '\t\n', ' ', '\r\n\r\nHandle 4 ', '\r\n 0: '].map((unit) => unit.repeat(Math.ceil(65_536 / unit.length)).slice(0, 65_536))
  it('detects every format in linear time on samples of blank lines', () => {
    const started = performance.now()
    for (const parser of parsers) for (const sample of samples) expect(parser.detect(sample)).toBeLessThan(0.5)
    expect(performance.now() - started).toBeLessThan(5000)
  })
})
