import {hashKey} from './int-table.js'

/**
 * Integer keys (< 2^53) to non-negative int32 values, for tables that are refilled rather than
 * updated: open addressing over two arrays (slot → value + 1, 0 for empty; slot → key), no deletion,
 * `clear` empties it for a refill without giving its memory back. Sized with `reserve` for what it
 * will hold, it neither grows nor reallocates on the hot path.
 */
export class KeyIndex {
  private slots: Int32Array
  private keys: Float64Array
  private mask: number
  size = 0

  constructor(capacity = 1024) {
    const cap = KeyIndex.capacity(capacity)
    this.slots = new Int32Array(cap)
    this.keys = new Float64Array(cap)
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
    const slots = this.slots
    const keys = this.keys
    let i = hashKey(key) & mask
    while (slots[i] !== 0 && keys[i] !== key) i = (i + 1) & mask
    return i
  }

  /** The value in slot `i` (from `find`), or -1 when the key is not there. */
  valueAt(i: number): number {
    return this.slots[i]! - 1
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    return this.slots[this.find(key)]! - 1
  }

  /** Puts `key` (absent: `find` gave slot `i`) with `value`. */
  putAt(i: number, key: number, value: number): void {
    this.slots[i] = value + 1
    this.keys[i] = key
    if (++this.size * 2 > this.mask) this.rebuild(this.size * 2)
  }

  /** Sets `key` to `value` (added when absent). */
  set(key: number, value: number): void {
    const i = this.find(key)
    if (this.slots[i] === 0) this.putAt(i, key, value)
    else this.slots[i] = value + 1
  }

  /** Room for `n` keys without growing. */
  reserve(n: number): void {
    if (KeyIndex.capacity(n) > this.mask + 1) this.rebuild(n)
  }

  /** Empties the index (its memory is kept for the refill). */
  clear(): void {
    this.slots.fill(0)
    this.size = 0
  }

  private rebuild(n: number): void {
    const {slots, keys} = this
    const cap = KeyIndex.capacity(Math.max(n, this.size))
    this.slots = new Int32Array(cap)
    this.keys = new Float64Array(cap)
    this.mask = cap - 1
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] === 0) continue
      const j = this.find(keys[i]!)
      this.slots[j] = slots[i]!
      this.keys[j] = keys[i]!
    }
  }
}
