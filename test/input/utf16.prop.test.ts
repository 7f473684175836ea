import {StringDecoder} from 'node:string_decoder'

import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {Utf8Normalizer} from '../../src/input/normalize.js'
import {utf16Length, Utf16leToUtf8} from '../../src/input/utf16.js'

const le = (...units: number[]) => Buffer.from(Uint16Array.from(units).buffer)

/** Pieces of UTF-16LE text: ASCII rows, umlauts, CJK, emoji (surrogate pairs), lone and reversed surrogates, stray bytes. */
const piece = fc.oneof(
  {arbitrary: fc.constantFrom('  TCP    10.0.0.5:49152   52.1.2.3:443   HERGESTELLT   4\r\n', 'ABHÖREN Grüße ß\r\n', '接続 待機\r\n', '😀 🇩🇪\r\n', '\r\n').map((t) => Buffer.from(t, 'utf16le')), weight: 6},
  {arbitrary: fc.constantFrom(le(0xd83d), le(0xde00), le(0xdbff), le(0xdc00), le(0xde00, 0xd83d), le(0xd800, 0xd800, 0xdc00), le(0xfffd), le(0x7f, 0x80, 0x7ff, 0x800, 0xffff)), weight: 3},
  {arbitrary: fc.integer({min: 0, max: 0xffff}).map((u) => le(u)), weight: 2},
  {arbitrary: fc.uint8Array({minLength: 1, maxLength: 3}).map((b) => Buffer.from(b)), weight: 1},
)

/** Chunks of `bytes` cut at `cuts` (positions mod length + 1, sorted; empty chunks kept). */
function chunksOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b)
  return [...at, bytes.length].map((c, k) => bytes.subarray(k === 0 ? 0 : at[k - 1]!, c))
}

describe('UTF-16LE to UTF-8 without a string', () => {
  test.prop([fc.array(piece, {maxLength: 60}), fc.array(fc.nat(), {maxLength: 16}), fc.array(fc.boolean(), {maxLength: 16})], {numRuns: 2000})(
    'gives, chunk by chunk, the bytes StringDecoder and Buffer.from gave, surrogates and odd bytes cut anywhere',
    (pieces, cuts, rewinds) => {
      const chunks = chunksOf(Buffer.concat(pieces), cuts)
      const decoder = new StringDecoder('utf16le')
      const t = new Utf16leToUtf8()
      const kept: Buffer[] = []
      const copies: Buffer[] = []
      let taken = 0
      let emitted = 0
      for (const [k, chunk] of chunks.entries()) {
        if (rewinds[k]) t.rewind()
        const out = t.write(chunk)
        kept.push(out)
        copies.push(Buffer.from(out))
        expect(out).toEqual(Buffer.from(decoder.write(chunk), 'utf8'))
        // Every byte taken is either turned into UTF-8 or held: the UTF-8 maps back to the input exactly.
        taken += chunk.length
        emitted += utf16Length(out, 0, out.length)
        expect(emitted).toBe(taken - t.held)
      }
      expect(t.end()).toEqual(Buffer.from(decoder.end(), 'utf8'))
      // What was returned since the last rewind is left intact by later writes and the end.
      const since = Math.max(0, rewinds.slice(0, chunks.length).lastIndexOf(true))
      for (let k = since; k < chunks.length; k++) expect(kept[k]).toEqual(copies[k])
    },
  )

  // From 4 KiB on a stretch goes to the compiled kernel (SIMD for ASCII, one unit at a time for the rest).
  test.prop([fc.array(piece, {minLength: 400, maxLength: 800}), fc.array(fc.nat(), {maxLength: 3})], {numRuns: 200})(
    'gives the same bytes for long stretches, which the compiled kernel encodes',
    (pieces, cuts) => {
      const bytes = Buffer.concat(pieces)
      const chunks = chunksOf(bytes, cuts)
      fc.pre(chunks.some((c) => c.length >= 4096))
      const decoder = new StringDecoder('utf16le')
      const t = new Utf16leToUtf8()
      for (const chunk of chunks) expect(t.write(chunk)).toEqual(Buffer.from(decoder.write(chunk), 'utf8'))
      expect(t.end()).toEqual(Buffer.from(decoder.end(), 'utf8'))
    },
  )

  test.prop([fc.array(piece, {maxLength: 60}), fc.array(fc.nat(), {maxLength: 16})], {numRuns: 500})(
    'the normaliser gives what the decoder gave for a UTF-16LE input, and its position maps its UTF-8 back to the input',
    (pieces, cuts) => {
      const chunks = chunksOf(Buffer.concat(pieces), cuts)
      const decoder = new StringDecoder('utf16le')
      const n = new Utf8Normalizer('utf-16le')
      let emitted = 0
      const outs = chunks.map((chunk) => {
        const out = n.push(chunk)
        emitted += utf16Length(out, 0, out.length)
        if (n.switches.length === 0) expect(emitted).toBe(n.position)
        return {out, copy: Buffer.from(out), want: Buffer.from(decoder.write(chunk), 'utf8')}
      })
      const last = n.end()
      // Random units may hold an 8-bit CR LF (bytes 0D 0A side by side): a switch, not the decoder's text.
      if (n.switches.length > 0) return
      for (const o of outs) expect(o.copy).toEqual(o.want)
      expect(last).toEqual(Buffer.from(decoder.end(), 'utf8'))
      // The last push's bytes are still intact after the end.
      expect(outs.at(-1)!.out).toEqual(outs.at(-1)!.copy)
    },
  )

  /** Bytes that make an 8-bit CR LF (`0D 0A` side by side) wherever they land: in a unit, across two, next to ASCII. */
  const crLfBits = fc.constantFrom(Buffer.from([0x0d, 0x0a]), le(0x0a0d), le(0x0d41, 0x000a), le(0x0d00, 0x0a00), Buffer.from([0x0d, 0x41, 0x0a]))
  const CR_LF = Buffer.from([0x0d, 0x0a])

  /** The decoder's own UTF-8 for `chunk` after it was given `before`. */
  const decoded = (before: Buffer, chunk: Buffer) => {
    const d = new StringDecoder('utf16le')
    d.write(before)
    return Buffer.from(d.write(chunk), 'utf8')
  }

  test.prop([fc.array(piece, {minLength: 300, maxLength: 600}), fc.option(fc.tuple(crLfBits, fc.nat())), fc.constantFrom(0, 1, 3, 4)], {numRuns: 400})(
    'says "no 8-bit CR LF" only when a chunk has none, wherever one pair sits (the kernel notes it while it encodes)',
    (pieces, insert, held) => {
      const clean = Buffer.concat(pieces)
      fc.pre(clean.indexOf(CR_LF) === -1)
      const chunk = insert === null ? clean : Buffer.concat([clean.subarray(0, insert[1] % clean.length), insert[0], clean.subarray(insert[1] % clean.length)])
      // A decoder holding a byte or a unit from before (a surrogate waiting for its pair): its stretch starts later.
      const before = Buffer.from([0x41, 0x00, 0x3d, 0xd8].slice(0, held))
      const t = new Utf16leToUtf8()
      t.write(before)
      const out = t.writeUnlessCrLf(chunk)
      expect(out === null, `pair at ${chunk.indexOf(CR_LF)}`).toBe(chunk.indexOf(CR_LF) !== -1)
      // Null takes nothing: write then gives what it would have; otherwise the answer is write's.
      expect(Buffer.from(out ?? t.write(chunk))).toEqual(decoded(before, chunk))
    },
  )

  it('finds an 8-bit CR LF in the bytes around the stretch the kernel encodes', () => {
    const text = Buffer.from('  TCP    10.0.0.5:49152   52.1.2.3:443   HERGESTELLT   4\r\n'.repeat(100), 'utf16le')
    const cases: [string, Buffer, Buffer][] = [
      // The held byte's unit is completed by the chunk's first byte: the pair starts before the stretch.
      ['at the first byte, completing a held unit', Buffer.from([0x41]), Buffer.concat([CR_LF, text])],
      ['across the first byte and the stretch', Buffer.from([0x41]), Buffer.concat([Buffer.from([0x0d]), Buffer.from([0x0a, 0x00]), text])],
      // An odd chunk keeps its last byte; one ending in a high surrogate keeps two.
      ['in the last unit of the stretch', Buffer.alloc(0), Buffer.concat([text, le(0x0a0d)])],
      ['across the stretch and the kept byte', Buffer.alloc(0), Buffer.concat([text, Buffer.from([0x41, 0x0d, 0x0a])])],
      ['across the stretch and a kept high surrogate', Buffer.alloc(0), Buffer.concat([text, Buffer.from([0x41, 0x0d]), Buffer.from([0x0a, 0xd8])])],
    ]
    for (const [what, before, chunk] of cases) {
      expect(chunk.indexOf(CR_LF), what).not.toBe(-1)
      const t = new Utf16leToUtf8()
      t.write(before)
      expect(t.writeUnlessCrLf(chunk), what).toBeNull()
      expect(Buffer.from(t.write(chunk)), what).toEqual(decoded(before, chunk))
    }
    // The same text without the pair is encoded at once.
    const t = new Utf16leToUtf8()
    expect(Buffer.from(t.writeUnlessCrLf(text)!)).toEqual(decoded(Buffer.alloc(0), text))
  })

  /** Long UTF-16LE stretches with 8-bit CR LFs here and there. */
  const crLfPiece = fc.oneof({arbitrary: piece, weight: 20}, {arbitrary: crLfBits, weight: 1})

  test.prop([fc.array(crLfPiece, {minLength: 250, maxLength: 600}), fc.array(fc.nat(), {maxLength: 6})], {numRuns: 150})(
    'the normaliser finds the same switches and text with the kernel noting CR LFs as with searching every chunk',
    (pieces, cuts) => {
      const bytes = Buffer.concat(pieces)
      const run = () => {
        const n = new Utf8Normalizer('utf-16le')
        const out = chunksOf(bytes, cuts).map((c) => Buffer.from(n.push(c)))
        out.push(n.end())
        return {text: Buffer.concat(out).toString('hex'), switches: n.switches, position: n.position}
      }
      const fast = run()
      const writeUnlessCrLf = Utf16leToUtf8.prototype.writeUnlessCrLf
      Utf16leToUtf8.prototype.writeUnlessCrLf = () => null
      try {
        expect(fast).toEqual(run())
      } finally {
        Utf16leToUtf8.prototype.writeUnlessCrLf = writeUnlessCrLf
      }
    },
  )

  it('pairs surrogates cut between chunks as the decoder did, and ends a lone one in EF BF BD', () => {
    const emoji = le(0x41, 0xd83d, 0xde00)
    const run = (...chunks: Buffer[]) => {
      const t = new Utf16leToUtf8()
      return Buffer.concat([...chunks.map((c) => Buffer.from(t.write(c))), t.end()]).toString('hex')
    }
    expect(run(emoji)).toBe('41f09f9880')
    expect(run(emoji.subarray(0, 4), emoji.subarray(4))).toBe('41f09f9880')
    expect(run(emoji.subarray(0, 3), emoji.subarray(3))).toBe('41f09f9880')
    // The low surrogate cut in half: the decoder gave two lone surrogates.
    expect(run(emoji.subarray(0, 5), emoji.subarray(5))).toBe('41efbfbdefbfbd')
    expect(run(emoji.subarray(0, 4))).toBe('41efbfbd')
    expect(run(Buffer.from([0x41, 0, 0x42]))).toBe('41')
  })
})
