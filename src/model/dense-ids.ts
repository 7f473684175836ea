import {grownTo} from '../typed-arrays.js'
import {KeyIndex} from './key-index.js'

/**
 * Dense ids 0, 1, 2… for integer keys (< 2^53), so per-key state can live in typed arrays indexed by
 * id. Ids are handed out until the owner compacts: it names the ids still in use and gets them
 * renumbered, which keeps memory bounded by the keys alive at once rather than by input length. The
 * index is sized (`reserve`) for the ids the owner lets it reach before compacting, so it does not
 * grow in between; compaction renumbers in place.
 */
export class DenseIds {
  private readonly index: KeyIndex
  private keys = new Float64Array(16_384)
  size = 0

  constructor(capacity = 1024) {
    this.index = new KeyIndex(capacity)
  }

  /** The id of `key`, a new one the first time. */
  id(key: number): number {
    const index = this.index
    const i = index.find(key)
    const found = index.valueAt(i)
    if (found >= 0) return found
    const d = this.size++
    if (d === this.keys.length) this.keys = grownTo(this.keys, this.keys.length * 2)
    this.keys[d] = key
    index.putAt(i, key, d)
    return d
  }

  /** The key behind id `d`. */
  key(d: number): number {
    return this.keys[d]!
  }

  /** Room for `n` ids without the index growing. */
  reserve(n: number): void {
    this.index.reserve(n)
  }

  /**
   * Keeps the ids for which `live` holds, renumbered in order, their keys rewritten by `rekey` when
   * given (a key < 0 drops the id); returns old id → new id (-1 for dropped).
   */
  compact(live: (d: number) => boolean, rekey?: (key: number) => number): Int32Array {
    const map = new Int32Array(this.size).fill(-1)
    const keys = this.keys
    const index = this.index
    index.clear()
    let n = 0
    // In place: a kept id only moves towards the front.
    for (let d = 0; d < this.size; d++) {
      if (!live(d)) continue
      const key = rekey ? rekey(keys[d]!) : keys[d]!
      if (key < 0) continue
      map[d] = n
      keys[n] = key
      index.putAt(index.find(key), key, n)
      n++
    }
    this.size = n
    return map
  }
}
