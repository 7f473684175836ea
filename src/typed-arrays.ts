type Growable = Int32Array | Uint32Array | Uint8Array | Float64Array

/** A copy of `a` in a new array of the same type with `n` ≥ a.length elements, the new ones set to `fill`. */
export function grownTo<T extends Growable>(a: T, n: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(n)
  if (fill !== 0) b.fill(fill, a.length)
  b.set(a)
  return b
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

/** A list of int32 values in one reused array: cleared per snapshot without giving its memory back. */
export class IntList {
  a = new Int32Array(64)
  length = 0

  push(v: number): void {
    if (this.length === this.a.length) this.a = grownTo(this.a, this.length * 2)
    this.a[this.length++] = v
  }

  push3(x: number, y: number, z: number): void {
    if (this.length + 3 > this.a.length) this.a = grownTo(this.a, this.a.length * 2 + 3)
    const a = this.a
    a[this.length] = x
    a[this.length + 1] = y
    a[this.length + 2] = z
    this.length += 3
  }

  clear(): void {
    this.length = 0
  }
}

/** A list of numbers (any safe integer) in one reused array: cleared per snapshot without giving its memory back. */
export class NumberList {
  a = new Float64Array(64)
  length = 0

  push(v: number): void {
    if (this.length === this.a.length) this.a = grownTo(this.a, this.length * 2)
    this.a[this.length++] = v
  }

  clear(): void {
    this.length = 0
  }
}
