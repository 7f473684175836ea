import {Readable} from 'node:stream'

import {describe, expect, it} from 'vitest'

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
