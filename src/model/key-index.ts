import {hashKey} from './int-table.js'

/**
 * Integer keys (< 2^53) to non-negative int32 values, for tables that are refilled rather than
 * updated: open addressing over one array of (key + 1, value) pairs (0: a free slot, so a new
 * array is empty as allocated), a probe touching one cache line; no deletion, `clear` empties it for a
 * refill without giving its memory back. Sized (`reserve`, or at construction) for what it will hold,
 * it neither grows nor reallocates on the hot path.
 */
export class KeyIndex {
  /** Slot i: key + 1 at 2i (0 when free), value at 2i + 1. */
  private pairs: Float64Array
  private mask: number
  size = 0

  constructor(capacity = 1024) {
    const cap = KeyIndex.capacity(capacity)
    this.pairs = new Float64Array(cap * 2)
    this.mask = cap - 1
  }

  /** Slots for `n` keys: a power of two, at least twice as many. */
  private static capacity(n: number): number {
    let cap = 16
    while (cap < n * 2) cap <<= 1
    return cap
  }

  /** The slot where `key` is, or where it would go (see `valueAt`, `putAt`). */
  find(key: number): number {
    const mask = this.mask
    const pairs = this.pairs
    const stored = key + 1
    let i = hashKey(key) & mask
    for (;;) {
      const k = pairs[i * 2]!
      if (k === stored || k === 0) return i
      i = (i + 1) & mask
    }
  }

  /** The value in slot `i` (from `find`), or -1 when the key is not there. */
  valueAt(i: number): number {
    return this.pairs[i * 2] === 0 ? -1 : this.pairs[i * 2 + 1]!
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    return this.valueAt(this.find(key))
  }

  /** Puts `key` (absent: `find` gave slot `i`) with `value`. */
  putAt(i: number, key: number, value: number): void {
    this.pairs[i * 2] = key + 1
    this.pairs[i * 2 + 1] = value
    if (++this.size * 2 > this.mask) this.rebuild(this.size * 2)
  }

  /** Sets `key` to `value` (added when absent). */
  set(key: number, value: number): void {
    const i = this.find(key)
    if (this.pairs[i * 2] === 0) this.putAt(i, key, value)
    else this.pairs[i * 2 + 1] = value
  }

  /** Room for `n` keys without growing. */
  reserve(n: number): void {
    if (KeyIndex.capacity(n) > this.mask + 1) this.rebuild(n)
  }

  /** Empties the index (its memory is kept for the refill). */
  clear(): void {
    this.pairs.fill(0)
    this.size = 0
  }

  private rebuild(n: number): void {
    const old = this.pairs
    const cap = KeyIndex.capacity(Math.max(n, this.size))
    this.pairs = new Float64Array(cap * 2)
    this.mask = cap - 1
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] === 0) continue
      const j = this.find(old[i]! - 1)
      this.pairs[j * 2] = old[i]!
      this.pairs[j * 2 + 1] = old[i + 1]!
    }
  }
}
