/** A well-mixed 32-bit hash of a non-negative integer key (< 2^53). */
export function hashKey(key: number): number {
  const lo = key >>> 0
  const hi = (key / 4294967296) >>> 0
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/**
 * Open-addressing hash table from non-negative integer keys (< 2^53) to int32 values, for the
 * per-row hot path: no allocation per operation (JS Maps box keys above 2^31 as heap numbers),
 * and `clear()` is O(1) through a generation stamp.
 */
export class IntTable {
  private keys: Float64Array
  private values: Int32Array
  private stamps: Uint32Array
  private second: Int32Array
  private mask: number
  private generation = 1
  size = 0

  constructor(capacity = 1024) {
    let cap = 16
    while (cap < capacity * 2) cap <<= 1
    this.keys = new Float64Array(cap)
    this.values = new Int32Array(cap)
    this.stamps = new Uint32Array(cap)
    this.second = new Int32Array(cap)
    this.mask = cap - 1
  }

  private slot(key: number): number {
    let i = hashKey(key) & this.mask
    const gen = this.generation
    while (this.stamps[i] === gen && this.keys[i] !== key) i = (i + 1) & this.mask
    return i
  }

  /** The value stored for `key`, or `missing`. */
  get(key: number, missing = -1): number {
    const i = this.slot(key)
    return this.stamps[i] === this.generation ? this.values[i]! : missing
  }

  has(key: number): boolean {
    return this.stamps[this.slot(key)] === this.generation
  }

  set(key: number, value: number): void {
    const i = this.slot(key)
    if (this.stamps[i] !== this.generation) {
      this.stamps[i] = this.generation
      this.keys[i] = key
      if (++this.size * 2 > this.mask) {
        this.values[i] = value
        this.grow()
        return
      }
    }
    this.values[i] = value
  }

  /** Adds `by` to the value of `key` (0 when absent) and returns the new value. */
  add(key: number, by = 1): number {
    const i = this.slot(key)
    if (this.stamps[i] !== this.generation) {
      this.stamps[i] = this.generation
      this.keys[i] = key
      this.values[i] = by
      if (++this.size * 2 > this.mask) this.grow()
      return by
    }
    return (this.values[i] = this.values[i]! + by)
  }

  /** Sets the key if absent; returns true when it was added. */
  insert(key: number, value = 0): boolean {
    const i = this.slot(key)
    if (this.stamps[i] === this.generation) return false
    this.stamps[i] = this.generation
    this.keys[i] = key
    this.values[i] = value
    if (++this.size * 2 > this.mask) this.grow()
    return true
  }

  clear(): void {
    this.size = 0
    if (++this.generation === 0xffffffff) {
      this.stamps.fill(0)
      this.generation = 1
    }
  }

  /**
   * Counts one more row for `key` and merges `owner` into a second value in the same probe: the
   * first owner seen, or AMBIGUOUS (-2) once two differ. Owners < 0 leave it as it is.
   */
  countOwner(key: number, owner: number): void {
    const i = this.slot(key)
    if (this.stamps[i] !== this.generation) {
      this.stamps[i] = this.generation
      this.keys[i] = key
      this.values[i] = 1
      this.second[i] = owner >= 0 ? owner : -1
      if (++this.size * 2 > this.mask) this.grow()
      return
    }
    this.values[i] = this.values[i]! + 1
    if (owner < 0) return
    const o = this.second[i]!
    this.second[i] = o === -1 || o === owner ? owner : -2
  }

  /** The second value of `key` (see `countOwner`), or `missing`. */
  getSecond(key: number, missing = -1): number {
    const i = this.slot(key)
    return this.stamps[i] === this.generation ? this.second[i]! : missing
  }

  forEach(fn: (key: number, value: number) => void): void {
    const gen = this.generation
    for (let i = 0; i <= this.mask; i++) if (this.stamps[i] === gen) fn(this.keys[i]!, this.values[i]!)
  }

  private grow(): void {
    const {keys, values, stamps, second, generation} = this
    const cap = (this.mask + 1) * 2
    this.second = new Int32Array(cap)
    this.keys = new Float64Array(cap)
    this.values = new Int32Array(cap)
    this.stamps = new Uint32Array(cap)
    this.mask = cap - 1
    this.generation = 1
    this.size = 0
    for (let i = 0; i < keys.length; i++) {
      if (stamps[i] !== generation) continue
      const j = this.slot(keys[i]!)
      this.stamps[j] = 1
      this.keys[j] = keys[i]!
      this.values[j] = values[i]!
      this.second[j] = second[i]!
      this.size++
    }
  }
}
