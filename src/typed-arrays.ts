type Growable = Int32Array | Uint32Array | Uint8Array | Float64Array

/** A copy of `a` in a new array of the same type with `n` ≥ a.length elements, the new ones set to `fill`. */
export function grownTo<T extends Growable>(a: T, n: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(n)
  if (fill !== 0) b.fill(fill, a.length)
  b.set(a)
  return b
}

/**
 * A buffer kept between calls, grown (at least doubling) when a call needs more: `take(n)` is a view of its first
 * n elements, holding what the last user left there and overwritten by the next. For copies that never outlive a call.
 */
export class Scratch<T extends Growable> {
  private buf: T

  constructor(private readonly make: new (n: number) => T) {
    this.buf = new make(64)
  }

  take(n: number): T {
    if (this.buf.length < n) this.buf = new this.make(Math.max(n, 2 * this.buf.length))
    return this.buf.subarray(0, n) as T
  }
}

/** A DataView over the last buffer asked for, made again only when another buffer comes (once per chunk). */
export class ViewCache {
  private buf: Uint8Array | null = null
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0))

  of(buf: Uint8Array): DataView<ArrayBufferLike> {
    if (buf !== this.buf) {
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
      this.buf = buf
    }
    return this.view
  }
}

/**
 * Bytes of one slab: past the C allocator's largest threshold for giving a block pages of its own (32 MiB on
 * 64-bit glibc), so a slab's pages are made resident only as they are written.
 */
const SLAB_BYTES = 33 << 20
/** Int32 words in a 4 KiB page. */
const PAGE_WORDS = 1024

/**
 * Zeroed Int32Arrays of one length, carved from large buffers when a page or longer (shorter ones are their
 * own: a page each would save nothing). A page no count is written to never becomes
 * resident: the series of a process that lived a few snapshots of a day-long loop cost a page or two, not
 * the whole length (a day of 10-second snapshots keeps 242 such processes exactly: 42 MB of zeros as arrays
 * of their own).
 */
export class ZeroSlab {
  private buf = new Int32Array(0)
  private at = 0

  constructor(private readonly n: number) {}

  take(): Int32Array {
    // An array shorter than a page gains nothing from untouched pages: its own (a small loop keeps no slab).
    if (this.n < PAGE_WORDS) return new Int32Array(this.n)
    if (this.at + this.n > this.buf.length) {
      this.buf = new Int32Array(Math.max(this.n, SLAB_BYTES >> 2))
      this.at = 0
    }
    this.at += this.n
    return this.buf.subarray(this.at - this.n, this.at)
  }
}
