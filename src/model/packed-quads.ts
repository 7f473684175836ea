/**
 * A snapshot's counter quads (process slot, counter, count, first line) as the case keeps them until the
 * analysis: variable-length bytes rather than four 32-bit words. A quad's slot and line are kept as the
 * difference from the quad before (a process's quads are consecutive and mostly share their first line), so
 * a quad takes 1.7–4 bytes on the bench's loops rather than 16. A loop whose snapshots each list a thousand
 * processes (short-lived ones whose TIME_WAIT rows linger for four minutes) kept 44 KB per snapshot in
 * words, most of what such a case held; 6 KB packed.
 *
 * Layout: the number of quads, then per quad a header byte (the counter in its low five bits; 0x20 when the slot is
 * the quad before's, 0x40 when the line is, 0x80 when the count is), then what the header does not say:
 * zigzag(slot − previous slot), zigzag(count), zigzag(line − previous line). Every number is a little-endian base-128
 * varint. A process's TIME_WAIT and attributed-TIME_WAIT quads, or its ESTABLISHED, ports and dynamic ports,
 * usually differ in the counter alone: one byte each after the first.
 */
import type {Scratch} from '../typed-arrays.js'

/** How a worker's quads are renumbered as they are unpacked: slots through `slots`, lines shifted by `lineOffset`. */
export type QuadRemap = {readonly slots: Int32Array; readonly lineOffset: number}

/** The most bytes one quad takes: two zigzagged 32-bit differences (5 bytes each), a count (5), the header (1). */
const QUAD_MAX_BYTES = 16
const COUNTER_MASK = 0x1f
const SAME_SLOT = 0x20
const SAME_LINE = 0x40
const SAME_COUNT = 0x80

let scratch = new Uint8Array(1024)

/** The quads packed, in a buffer of their own. */
export function packQuads(q: ArrayLike<number>): Uint8Array {
  return packInScratch(q).slice()
}

/** The quads packed, in a buffer the next call overwrites (copy what you keep). */
export function packInScratch(q: ArrayLike<number>): Uint8Array {
  const need = 5 + (q.length >> 2) * QUAD_MAX_BYTES
  if (scratch.length < need) scratch = new Uint8Array(Math.max(need, scratch.length * 2))
  const out = scratch
  let p = putVarint(out, 0, q.length >> 2)
  let slot = 0
  let count = -1
  let line = 0
  for (let i = 0; i + 3 < q.length; i += 4) {
    const s = q[i]!
    const counter = q[i + 1]!
    const n = q[i + 2]!
    const l = q[i + 3]!
    if (counter < 0 || counter > COUNTER_MASK) throw new Error(`counter ${counter} does not fit a packed quad`)
    out[p++] = counter | (s === slot ? SAME_SLOT : 0) | (l === line ? SAME_LINE : 0) | (n === count ? SAME_COUNT : 0)
    if (s !== slot) p = putVarint(out, p, zigzag(s - slot))
    if (n !== count) p = putVarint(out, p, zigzag(n))
    if (l !== line) p = putVarint(out, p, zigzag(l - line))
    slot = s
    count = n
    line = l
  }
  return out.subarray(0, p)
}

/**
 * The quads of packed bytes, as four words each: in a fresh array, or in `into` (a view the next use of it
 * overwrites); renumbered through `remap` when given. The analysis unpacks every snapshot's quads in each of
 * its passes: a fresh array per snapshot and pass was most of its garbage on a day of short-lived processes.
 */
export function unpackQuads(b: Uint8Array, into?: Scratch<Int32Array>, remap?: QuadRemap): Int32Array {
  if (b.length === 0) return new Int32Array(0)
  // The cursor is a local: as a module variable it was loaded and stored at every byte.
  let p = 0
  let v = b[p++]!
  if (v >= 128) {
    v = varint(b, p - 1)
    p = after
  }
  const q = into ? into.take(v * 4) : new Int32Array(v * 4)
  const slots = remap?.slots
  const lineOffset = remap?.lineOffset ?? 0
  let slot = 0
  let count = -1
  let line = 0
  for (let i = 0; i < q.length; i += 4) {
    const head = b[p++]!
    if ((head & SAME_SLOT) === 0) {
      v = b[p++]!
      if (v >= 128) {
        v = varint(b, p - 1)
        p = after
      }
      slot += unzigzag(v)
    }
    if ((head & SAME_COUNT) === 0) {
      v = b[p++]!
      if (v >= 128) {
        v = varint(b, p - 1)
        p = after
      }
      count = unzigzag(v)
    }
    if ((head & SAME_LINE) === 0) {
      v = b[p++]!
      if (v >= 128) {
        v = varint(b, p - 1)
        p = after
      }
      line += unzigzag(v)
    }
    q[i] = slots ? slots[slot]! : slot
    q[i + 1] = head & COUNTER_MASK
    q[i + 2] = count
    q[i + 3] = line + lineOffset
  }
  return q
}

/** Where the last `varint` ended. */
let after = 0

/** A varint of two bytes or more at `at` (where it ends in `after`: an array for the pair was garbage per call). */
function varint(b: Uint8Array, at: number): number {
  let byte = b[at++]!
  let v = byte & 127
  let m = 128
  do {
    byte = b[at++]!
    v += (byte & 127) * m
    m *= 128
  } while (byte >= 128)
  after = at
  return v
}

function putVarint(out: Uint8Array, p: number, v: number): number {
  while (v >= 128) {
    out[p++] = (v % 128) | 128
    v = Math.floor(v / 128)
  }
  out[p++] = v
  return p
}

const zigzag = (d: number): number => (d >= 0 ? d * 2 : -d * 2 - 1)
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2)

