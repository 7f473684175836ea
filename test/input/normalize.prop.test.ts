import {fc, test} from '@fast-check/vitest'
import {expect} from 'vitest'

import {Utf8Normalizer} from '../../src/input/normalize.js'

/** Pieces of text two loops writing to one file leave: 8-bit lines, UTF-16LE lines, BOMs, stray FF and NUL bytes. */
const piece = fc.oneof(
  fc.constantFrom('  TCP    10.0.0.5:49152   52.1.2.3:443   ESTABLISHED   4\r\n', 'Fri 03/10/2023  8:55:00.00 \r\n', '\r\n', 'Proto  Local Address\r\n').map((t) => Buffer.from(t, 'latin1')),
  fc.constantFrom('  TCP    10.0.0.5:49153   52.1.2.3:443   TIME_WAIT   0\r\n', '03/10/2023 08:56:00\r\n').map((t) => Buffer.from(t, 'utf16le')),
  fc.constantFrom(Buffer.from([0xff, 0xfe]), Buffer.from([0xff]), Buffer.from([0xff, 0xe0]), Buffer.from([0]), Buffer.from([0, 0, 0, 0]), Buffer.from([0x0d]), Buffer.from('ÿ', 'latin1')),
)

function run(encoding: string, bytes: Buffer, cuts: number[]) {
  const n = new Utf8Normalizer(encoding)
  const out: Buffer[] = []
  let prev = 0
  for (const c of [...cuts.map((x) => x % (bytes.length + 1))].sort((a, b) => a - b)) {
    // What push returns is valid until the next call: keep a copy.
    out.push(Buffer.from(n.push(bytes.subarray(prev, c))))
    prev = c
  }
  out.push(Buffer.from(n.push(bytes.subarray(prev))), n.end())
  return {text: Buffer.concat(out).toString('utf8'), switches: n.switches}
}

test.prop([fc.array(piece, {maxLength: 40}), fc.array(fc.nat(), {maxLength: 12}), fc.constantFrom('utf-8', 'cp850', 'utf-16le')], {numRuns: 400})(
  'finds the same switches of encoding and gives the same text however the bytes arrive (8-bit to UTF-16LE)',
  (pieces, cuts, encoding) => {
    const bytes = Buffer.concat(pieces)
    const whole = run(encoding, bytes, [])
    const cut = run(encoding, bytes, cuts)
    // Switches into UTF-16LE are decided on the bytes alone; the way back (an 8-bit CR LF after UTF-16
    // units) is decided per chunk and is checked by the fixtures' tests only.
    const intoUtf16 = (r: typeof whole) => r.switches.every((s) => s.to === 'utf-16le')
    if (intoUtf16(whole) && intoUtf16(cut) && encoding !== 'utf-16le') {
      expect(cut.switches).toEqual(whole.switches)
      expect(cut.text).toBe(whole.text)
    }
  },
)

test.prop([fc.array(fc.nat(), {maxLength: 12})])('finds a BOM after a stray FF in the same chunk (an FF that is not a BOM hid it)', (cuts) => {
  const bytes = Buffer.concat([Buffer.from('TCP ÿx row\r\n', 'latin1'), Buffer.from([0xff, 0xfe]), Buffer.from('TCP row\r\n', 'utf16le')])
  const whole = run('utf-8', bytes, [])
  expect(whole.switches).toEqual([{offset: 12, to: 'utf-16le'}])
  expect(whole.text.endsWith('TCP row\r\n')).toBe(true)
  expect(run('utf-8', bytes, cuts)).toEqual(whole)
})
