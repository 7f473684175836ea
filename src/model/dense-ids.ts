import {grownTo} from '../typed-arrays.js'
import {IntTable} from './int-table.js'

/**
 * Dense ids 0, 1, 2… for integer keys (< 2^53), so per-key state can live in typed arrays indexed by
 * id. Ids are handed out until the owner compacts: it names the ids still in use and gets them
 * renumbered, which keeps memory bounded by the keys alive at once rather than by input length.
 */
export class DenseIds {
  private table = new IntTable(16_384)
  private keys = new Float64Array(16_384)
  size = 0

  /** The id of `key`, a new one the first time. */
  id(key: number): number {
    let d = this.table.get(key)
    if (d >= 0) return d
    d = this.size++
    this.table.set(key, d)
    if (d === this.keys.length) this.keys = grownTo(this.keys, this.keys.length * 2)
    this.keys[d] = key
    return d
  }

  /** The key behind id `d`. */
  key(d: number): number {
    return this.keys[d]!
  }

  /**
   * Keeps the ids for which `live` holds, renumbered in order, their keys rewritten by `rekey` when
   * given (a key < 0 drops the id); returns old id → new id (-1 for dropped).
   */
  compact(live: (d: number) => boolean, rekey?: (key: number) => number): Int32Array {
    const map = new Int32Array(this.size).fill(-1)
    const keys = new Float64Array(this.keys.length)
    // Sized for what it held: it fills up to that again before the next compaction.
    this.table = new IntTable(Math.max(16_384, this.size))
    let n = 0
    for (let d = 0; d < this.size; d++) {
      if (!live(d)) continue
      const key = rekey ? rekey(this.keys[d]!) : this.keys[d]!
      if (key < 0) continue
      map[d] = n
      keys[n] = key
      this.table.set(keys[n]!, n)
      n++
    }
    this.keys = keys
    this.size = n
    return map
  }
}
