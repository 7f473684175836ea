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
