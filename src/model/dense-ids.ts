import {grownTo} from '../typed-arrays.js'
import {hashKey} from './int-table.js'

/**
 * Dense ids 0, 1, 2… for integer keys (< 2^53), so per-key state can live in typed arrays indexed by
 * id. Ids are handed out until the owner compacts: it names the ids still in use and gets them
 * renumbered, which keeps memory bounded by the keys alive at once rather than by input length.
 *
 * The hash table is open addressing over two arrays (slot → id + 1, 0 for empty; slot → key), sized
 * for the ids the owner lets it reach before compacting (`reserve`), so it neither grows nor is
 * reallocated between compactions; compaction renumbers in place.
 */
export class DenseIds {
  private slots!: Int32Array
  private slotKeys!: Float64Array
  private mask = 0
  private keys = new Float64Array(16_384)
  size = 0

  constructor(capacity = 16_384) {
    this.allocate(capacity)
  }

  /** The id of `key`, a new one the first time. */
  id(key: number): number {
    const i = this.slot(key)
    const s = this.slots[i]!
    if (s !== 0) return s - 1
    const d = this.size++
    this.slots[i] = d + 1
    this.slotKeys[i] = key
    if (d === this.keys.length) this.keys = grownTo(this.keys, this.keys.length * 2)
    this.keys[d] = key
    if (this.size * 2 > this.mask) this.allocate(this.size * 2)
    return d
  }

  /** The key behind id `d`. */
  key(d: number): number {
    return this.keys[d]!
  }

  /** Room for `n` ids without the table growing (what the owner lets it reach before it compacts). */
  reserve(n: number): void {
    if (n * 2 > this.mask) this.allocate(n)
  }

  /**
   * Keeps the ids for which `live` holds, renumbered in order, their keys rewritten by `rekey` when
   * given (a key < 0 drops the id); returns old id → new id (-1 for dropped).
   */
  compact(live: (d: number) => boolean, rekey?: (key: number) => number): Int32Array {
    const map = new Int32Array(this.size).fill(-1)
    const keys = this.keys
    let n = 0
    // In place: a kept id only moves towards the front.
    for (let d = 0; d < this.size; d++) {
      if (!live(d)) continue
      const key = rekey ? rekey(keys[d]!) : keys[d]!
      if (key < 0) continue
      map[d] = n
      keys[n++] = key
    }
    this.size = n
    this.slots.fill(0)
    this.rehash()
    return map
  }

  private slot(key: number): number {
    const mask = this.mask
    const slots = this.slots
    const slotKeys = this.slotKeys
    let i = hashKey(key) & mask
    while (slots[i] !== 0 && slotKeys[i] !== key) i = (i + 1) & mask
    return i
  }

  /** A table of at least 2n slots (a power of two), holding the ids there are. */
  private allocate(n: number): void {
    let cap = 16
    while (cap < n * 2) cap <<= 1
    this.slots = new Int32Array(cap)
    this.slotKeys = new Float64Array(cap)
    this.mask = cap - 1
    this.rehash()
  }

  private rehash(): void {
    for (let d = 0; d < this.size; d++) {
      const i = this.slot(this.keys[d]!)
      this.slots[i] = d + 1
      this.slotKeys[i] = this.keys[d]!
    }
  }
}
