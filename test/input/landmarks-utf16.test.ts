import {createHash} from 'node:crypto'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {fc, test} from '@fast-check/vitest'
import {describe, expect, inject, it} from 'vitest'

import {keepLandmarks, LANDMARK_BYTES, type Landmark, landmarkBefore, LandmarkNotes} from '../../src/input/landmarks.js'
import {Utf8Normalizer} from '../../src/input/normalize.js'
import type * as Parallel from '../../src/input/parallel.js'
import {runAnalysis} from '../../src/pipeline.js'
import {readLines, type Wanted} from '../../src/report/quote.js'
import {cliThreads, loopText, tempFiles} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'

/**
 * A German PowerShell loop in UTF-16LE (BOM, CR LF) of about 6 MB, with owner lines naming processes in
 * umlauts, CJK and an emoji (a surrogate pair): its UTF-8 is not half its UTF-16LE bytes, so a landmark
 * counted in the wrong bytes points into the middle of some line.
 */
const text = loopText({
  ...SCENARIOS.boundLeak,
  snapshots: 60,
  dateStyle: 'de',
  german: true,
  processes: [
    {pid: 4312, name: 'Prüfdienst.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 900}},
    {pid: 1712, name: 'svchost.exe', service: 'RpcSs', listen: [135], behaviour: {kind: 'steady', established: 12, noise: 4, timeWaitChurn: 2}},
    {pid: 3020, name: '数据同步服务.exe', listen: [1433], behaviour: {kind: 'steady', established: 30, noise: 8}},
    {pid: 3100, name: 'Überwachung📈.exe', behaviour: {kind: 'steady', established: 10, noise: 3}},
  ],
}).replace(/\r?\n/g, '\r\n')
const lines = text.split('\n').map((l) => l.replace(/\r$/, ''))
const BOM = 2
const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
/** Byte offset of line `line` (1-based) in the file: two bytes per UTF-16 code unit after the BOM. */
const starts = [0, BOM]
for (const l of lines) starts.push(starts.at(-1)! + 2 * (l.length + 2))
const startOf = (line: number) => starts[line]!

/** Lines deep in the file: owner lines in CJK and with the emoji, an ABHÖREN row, the last line. */
const deep = (() => {
  const half = Math.floor(lines.length / 2)
  const find = (re: RegExp, from: number) => from + lines.slice(from).findIndex((l) => re.test(l)) + 1
  return [find(/数据同步/, half), find(/📈/, Math.floor(lines.length * 0.8)), find(/ABHÖREN/, Math.floor(lines.length * 0.6)), lines.length - 1]
})()

async function quote(file: string, digest: string, wantedLines: readonly number[]): Promise<(string | null)[]> {
  const wanted: Wanted = new Map([[file, new Map(wantedLines.map((l) => [l, null]))]])
  await readLines([file], wanted, new Map([[file, bytes.length]]), undefined, new Map([[file, digest]]))
  return wantedLines.map((l) => wanted.get(file)!.get(l)!)
}

/** Every landmark names the exact start of its line, in the file's bytes. */
function expectExact(marks: readonly Landmark[]): void {
  for (const m of marks) expect({line: m.line, byte: m.byte, encoding: m.encoding}).toEqual({line: m.line, byte: startOf(m.line), encoding: 'utf-16le'})
}

describe('landmarks in a UTF-16LE loop', () => {
  it('are noted in one thread at the exact line starts, and lines quoted from them are the lines read from the start', async () => {
    expect(bytes.length).toBeGreaterThan(5 * LANDMARK_BYTES)
    expect(deep.every((l) => l > lines.length / 2 && lines[l - 1]!.length > 0)).toBe(true)
    const [file] = tempFiles({'loop16-one-thread.txt': bytes})
    const a = await runAnalysis([file!], {})
    const input = a.document.inputs[0]!
    expect(input).toMatchObject({encoding: 'utf-16le', bytes: bytes.length})
    // One landmark about every MiB read, each the start of the line it names.
    const marks = [...new Set(lines.map((_, i) => landmarkBefore(input.sha256, input.bytes, i + 1)))].filter((m) => m !== null)
    expect(marks.length).toBeGreaterThanOrEqual(4)
    expect(marks.at(-1)!.byte).toBeGreaterThan(4 * LANDMARK_BYTES)
    expectExact(marks.slice(1))
    const fromMarks = await quote(file!, input.sha256, deep)
    expect(fromMarks).toEqual(deep.map((l) => lines[l - 1]))
    expect(fromMarks).toEqual(await quote(file!, '', deep))
    // A landmark one code unit off (2 bytes) drops a character: the proof that quoting started there, in UTF-16LE.
    const line = deep[0]!
    const other = createHash('sha256').update('another file').digest('hex')
    keepLandmarks(other, bytes.length, [{line, byte: startOf(line) + 2, encoding: 'utf-16le'}])
    expect(await quote(file!, other, [line])).toEqual([lines[line - 1]!.slice(1)])
  })

  it('are noted by worker threads at the exact line starts, and quotes match the one-thread reading', async () => {
    const [file] = tempFiles({'loop16-split.txt': bytes})
    // The compiled workers of this run's build (test/global-setup.ts), over two ranges of the file.
    const parallel: typeof Parallel = await import(pathToFileURL(join(inject('cliRoot'), 'dist/input/parallel.js')).href)
    const plan = parallel.planSplit(file!, bytes.length, BOM, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 2, encoding: 'utf-16le'})
    expect(plan).toHaveLength(2)
    const results = await parallel.runWorkers(plan!)
    let offset = 0
    const marks: Landmark[] = []
    for (const r of results) {
      marks.push(...r.landmarks.map((m) => ({...m, line: m.line + offset})))
      offset += r.lines
    }
    // Each range's start and about one a MiB after it.
    expect(marks.length).toBeGreaterThanOrEqual(5)
    expect(marks.filter((m) => m.byte > plan![1]!.start + LANDMARK_BYTES).length).toBeGreaterThan(0)
    expectExact(marks.slice(1))
    // The CLI reads the file with workers and quotes from their landmarks: the same document as one thread.
    const split = cliThreads(['analyze', '--json', file!], 'split')
    expect(split).toBe(cliThreads(['analyze', '--json', file!], 'single'))
    const quoted = JSON.parse(split).findings.flatMap((f: {evidence: {line: number; quote?: string}[]}) => f.evidence.filter((e) => e.quote !== undefined))
    expect(quoted.some((e: {line: number}) => startOf(e.line) > plan![1]!.start + LANDMARK_BYTES)).toBe(true)
    for (const e of quoted) expect(e.quote).toBe(lines[e.line - 1])
  })

  /** Lines of ASCII, umlauts, CJK and emoji, some long: the open line at a chunk's end is often not ASCII. */
  const mixed = (() => {
    const pool = ['  TCP    10.0.0.5:49152   52.1.2.3:443   HERGESTELLT   4', ' [Prüfdienst.exe]', '数据同步服务'.repeat(40), `Überwachung📈 ${'😀'.repeat(90)}`, '', 'ß'.repeat(300)]
    const out: string[] = []
    for (let i = 0, len = 0; len < 3 * LANDMARK_BYTES; i++) {
      out.push(pool[(i * 7 + (i >> 3)) % pool.length]!)
      len += 2 * (out.at(-1)!.length + 2)
    }
    return out
  })()
  const mixedBytes = Buffer.from(mixed.map((l) => `${l}\r\n`).join(''), 'utf16le')
  const mixedStarts = [0, 0]
  for (const l of mixed) mixedStarts.push(mixedStarts.at(-1)! + 2 * (l.length + 2))

  test.prop([fc.array(fc.integer({min: 1, max: 300_000}), {minLength: 1, maxLength: 20})], {numRuns: 25})(
    'name exact line starts however the bytes arrive (odd chunks, surrogate pairs and open lines cut anywhere)',
    (sizes) => {
      // What ByteLineSplitter says of its next line: its number and the open line's UTF-8 bytes it keeps.
      let line = 1
      let pending = 0
      const splitter = {nextLine: () => ({line, pending})}
      const notes = new LandmarkNotes(splitter, 0, 'utf-16le')
      const n = new Utf8Normalizer('utf-16le')
      for (let at = 0, k = 0; at < mixedBytes.length; k++) {
        const chunk = mixedBytes.subarray(at, Math.min(mixedBytes.length, at + sizes[k % sizes.length]!))
        at += chunk.length
        const out = n.push(chunk)
        const last = out.lastIndexOf(10)
        for (let i = out.indexOf(10); i !== -1; i = out.indexOf(10, i + 1)) line++
        pending = last === -1 ? pending + out.length : out.length - last - 1
        notes.after(out, n.position, n.switches.length > 0)
      }
      expect(notes.marks.length).toBeGreaterThanOrEqual(2)
      for (const m of notes.marks) expect(m.byte).toBe(mixedStarts[m.line])
    },
  )
})
