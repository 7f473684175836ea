import {readdirSync, readFileSync, statSync} from 'node:fs'
import {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'

import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {createDecoder, sniffEncoding} from '../../src/input/encoding.js'
import type {InputSummary} from '../../src/model/types.js'
import {inspectInputs} from '../../src/pipeline.js'
import {CollectingSink, accountedLines, splitLines} from '../../src/formats/shared/collect.js'
import {parsers} from '../../src/formats/registry.js'
import type {Parser, SkipReason} from '../../src/formats/types.js'

const CORPUS = fileURLToPath(new URL('../../corpus/', import.meta.url))
const SAMPLE_LINES = 200
const REASONS: readonly SkipReason[] = ['junk', 'truncated', 'elision', 'ping', 'echo', 'malformed', 'too-long', 'binary']

/** The bytes of the first `n` lines (whole lines, terminators kept), UTF-16 by code units. */
function firstLines(bytes: Buffer, n: number): Buffer {
  const utf16le = bytes[0] === 0xff && bytes[1] === 0xfe
  const utf16be = bytes[0] === 0xfe && bytes[1] === 0xff
  const wide = utf16le || utf16be
  let seen = 0
  for (let i = 0; i < bytes.length; i += wide ? 2 : 1) {
    const [lo, hi] = utf16be ? [bytes[i + 1], bytes[i]] : [bytes[i], bytes[i + 1]]
    const lf = lo === 0x0a && (!wide || hi === 0)
    if (lf && ++seen === n) return bytes.subarray(0, i + (wide ? 2 : 1))
  }
  return bytes
}

/** Decodes like the input layer does: sniffed encoding, BOM dropped. */
function decode(bytes: Buffer): string {
  const {encoding, bomLength} = sniffEncoding(bytes.subarray(0, 64 * 1024))
  const d = createDecoder(encoding)
  return d.write(bytes.subarray(bomLength)) + d.end()
}

type Sample = {readonly name: string; readonly bytes: Buffer; readonly lines: readonly string[]}

/** Every committed fixture of the parser's format, cut to its first 200 lines. */
function samplesOf(parser: Parser): Sample[] {
  const dir = `${CORPUS}${parser.id}/`
  return readdirSync(dir)
    .filter((f) => statSync(dir + f).isFile())
    .sort()
    .map((f) => {
      const bytes = firstLines(readFileSync(dir + f), SAMPLE_LINES)
      return {name: f, bytes, lines: splitLines(decode(bytes)).lines}
    })
}

/** Runs the parser over lines exactly as the input layer feeds them; returns what it produced. */
function run(parser: Parser, lines: readonly string[], endedWithNewline: boolean) {
  const sink = new CollectingSink()
  const lp = parser.create(sink, {path: '<prop>'})
  lines.forEach((l, i) => lp.line(l, i + 1))
  lp.end(endedWithNewline)
  return sink.result
}

/** A line as the splitter hands it over: no LF, no trailing CR. */
const asLine = (s: string) => s.replace(/\n/g, ' ').replace(/\r+$/, '')

/** Pieces of `bytes` cut at `cuts` (empty pieces kept: a stream may deliver them). */
function piecesOf(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b)
  const out: Buffer[] = []
  let prev = 0
  for (const c of at) {
    out.push(bytes.subarray(prev, c))
    prev = c
  }
  out.push(bytes.subarray(prev))
  return out
}

async function inspect(parser: Parser, pieces: readonly Buffer[]): Promise<InputSummary> {
  const doc = await inspectInputs(['-'], {format: parser.id, stdin: () => Readable.from(pieces)})
  return doc.inputs[0]!
}

describe('detect (every parser)', () => {
  // The registry also guards against a throwing detect; this keeps the contract itself honest.
  test.prop([fc.oneof(fc.string({maxLength: 2000}), fc.string({unit: 'binary', maxLength: 2000}))], {numRuns: 200})(
    'returns a confidence in [0, 1] for any text and never throws',
    (sample) => {
      for (const p of parsers) {
        const c = p.detect(sample)
        expect([p.id, c >= 0 && c <= 1]).toEqual([p.id, true])
      }
    },
  )
})

/** Parsers of text: binary formats (`binary` set) are read by offset and have their own tests (evtx*.test.ts). */
const lineParsers = parsers.filter((p) => !p.binary)

describe('every parser in the registry', () => {
  it('has committed fixtures to sample', () => {
    for (const p of lineParsers) expect(samplesOf(p).length, p.id).toBeGreaterThan(0)
  })

  for (const parser of lineParsers) {
    const samples = samplesOf(parser)
    const pool = [...new Set(samples.flatMap((s) => s.lines))]
    const line = fc.oneof(
      {weight: 3, arbitrary: fc.constantFrom(...pool)},
      {weight: 2, arbitrary: fc.tuple(fc.constantFrom(...pool), fc.nat()).map(([l, n]) => l.slice(0, n % (l.length + 1)))},
      {weight: 2, arbitrary: fc.string().map(asLine)},
      {weight: 1, arbitrary: fc.string({unit: 'binary', maxLength: 80}).map(asLine)},
    )

    describe(parser.id, () => {
      test.prop([fc.array(fc.string().map(asLine), {maxLength: 30}), fc.boolean()], {numRuns: 40})(
        'never throws on arbitrary lines and accounts for each of them',
        (lines, ended) => {
          const c = run(parser, lines, ended)
          expect(accountedLines(c)).toBe(lines.length)
        },
      )

      test.prop([fc.array(line, {maxLength: 60}), fc.boolean()], {numRuns: 60})(
        'never throws on its own lines cut, shuffled and mixed with noise, and accounts for each of them',
        (lines, ended) => {
          const c = run(parser, lines, ended)
          expect(accountedLines(c)).toBe(lines.length)
          for (const s of c.skipped) expect(REASONS).toContain(s.reason)
          for (const r of c.records) {
            expect(r.line).toBeGreaterThanOrEqual(1)
            expect(r.line).toBeLessThanOrEqual(lines.length)
          }
          for (const s of c.snapshots) expect(s.time === null || Number.isFinite(s.time)).toBe(true)
        },
      )

      const whole = new Map<string, Promise<InputSummary>>()
      const once = (s: Sample) => whole.get(s.name) ?? whole.set(s.name, inspect(parser, [s.bytes])).get(s.name)!
      test.prop([fc.constantFrom(...samples), fc.array(fc.nat(), {maxLength: 16})], {numRuns: 20})(
        'gives the same summary through the input layer however the bytes are cut into chunks',
        async (sample, cuts) => {
          const expected = await once(sample)
          expect(expected).toMatchObject({format: parser.id, error: null})
          expect(await inspect(parser, piecesOf(sample.bytes, cuts))).toEqual(expected)
        },
      )
    })
  }
})
