import {spawn} from 'node:child_process'
import {Readable} from 'node:stream'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {beforeAll, describe, expect, it} from 'vitest'

import {parsers} from '../../src/formats/registry.js'
import {inspectInputs} from '../../src/pipeline.js'
import type {BlankRunTimes} from './blank-runs.js'
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
  // `\s*`) share a blank run takes quadratic or cubic time in its length (10 s for one 16 KB line), and
  // `^\s*` under the m flag rescans every blank line after each line start (14 s for a 64 KiB detection
  // sample of blank lines); both found by `npm run fuzz`. Every parser, put in each of its modes by a
  // fixture's first lines, must take lines with 100,000-blank runs, and every detect samples of blank
  // lines, in linear time. The work runs in a child process under a time limit: a pattern that is not
  // linear would block this process for minutes to hours, so it fails the test instead.
  let out: {stdout: string; stderr: string; killed: boolean}
  beforeAll(async () => {
    const code = `import(${JSON.stringify(pathToFileURL(fileURLToPath(new URL('./blank-runs.ts', import.meta.url))).href)}).then((m) => process.stdout.write(JSON.stringify(m.blankRunTimes())))`
    out = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], {cwd: fileURLToPath(new URL('../..', import.meta.url))})
      let stdout = ''
      let stderr = ''
      let killed = false
      const timer = setTimeout(() => {
        killed = true
        child.kill('SIGKILL')
      }, 120_000)
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      child.on('error', reject)
      child.on('close', () => {
        clearTimeout(timer)
        resolve({stdout, stderr, killed})
      })
    })
  }, 150_000)
  /** The child's result; a test fails (not skips) when it did not finish. */
  const result = (): BlankRunTimes => {
    expect(out.killed, 'parsing lines with long blank runs did not finish in 120 s: a pattern takes more than linear time').toBe(false)
    expect(out.stderr).toBe('')
    return JSON.parse(out.stdout) as BlankRunTimes
  }

  for (const parser of parsers) {
    it(`takes them in linear time, every line accounted for: ${parser.id}`, () => {
      const r = result().lines[parser.id]!
      expect(r.accounted).toBe(r.fed)
      // Linear time is a few ms to a few hundred ms here; the patterns this replaced took minutes.
      expect(r.ms).toBeLessThan(5000)
    })
  }

  it('detects every format in linear time on samples of blank lines, and none in them', () => {
    const {detect} = result()
    expect(detect.confidence).toBeLessThan(0.5)
    expect(detect.ms).toBeLessThan(5000)
  })
})
