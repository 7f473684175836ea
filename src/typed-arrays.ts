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
