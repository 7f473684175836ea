import {grownTo} from '../typed-arrays.js'
import {detach} from './slots.js'

/**
 * Address strings to small ids (0 is reserved for null), with ids that are given back: a busy
 * server's loop meets millions of distinct peers over a day, so ids not used in the last two
 * snapshots are dropped and the rest renumbered (`compact`), which keeps memory bounded by the
 * addresses of a snapshot, not by the file. Holders of ids follow a renumbering through `epoch`
 * and `remap` (old id → new id, -1 when dropped).
 */
export class AddressTable {
  private ids = new Map<string, number>()
  values: (string | null)[] = [null]
  /** Per id: the last snapshot generation that used it (see `use`). */
  private used = new Uint32Array(1024)
  /** Bumped by every `compact`; `remap` is that compaction's old → new map. */
  epoch = 0
  remap: Int32Array = new Int32Array(0)
  private lastValue = ''
  private lastId = -1

  get size(): number {
    return this.values.length
  }

  /** The id of `value`, a new one the first time. `fresh`: the string shares no memory with a larger one (no copy needed). */
  id(value: string | null, fresh = false): number {
    if (value === null) return 0
    if (value === this.lastValue && this.lastId >= 0) return this.lastId
    let id = this.ids.get(value)
    if (id === undefined) {
      id = this.values.length
      const kept = fresh ? value : detach(value)
      this.values.push(kept)
      this.ids.set(kept, id)
      if (id >= this.used.length) this.used = grownTo(this.used, this.used.length * 2)
    }
    this.lastValue = value
    this.lastId = id
    return id
  }

  value(id: number): string | null {
    return this.values[id] ?? null
  }

  /** Marks `id` as used by snapshot generation `generation`. */
  use(id: number, generation: number): void {
    this.used[id] = generation
  }

  /** Forgets when ids were used (the owner's generations started again). */
  resetUse(): void {
    this.used.fill(0)
  }

  /**
   * Keeps the ids used by generation `since` or later (and the null id), renumbered in order; the
   * map from old to new ids is `remap` until the next compaction.
   */
  compact(since: number): Int32Array {
    const n = this.values.length
    const map = new Int32Array(n).fill(-1)
    const values: (string | null)[] = [null]
    const ids = new Map<string, number>()
    const used = new Uint32Array(Math.max(1024, this.used.length))
    map[0] = 0
    for (let i = 1; i < n; i++) {
      if (this.used[i]! < since) continue
      const v = this.values[i]!
      map[i] = values.length
      used[values.length] = this.used[i]!
      ids.set(v, values.length)
      values.push(v)
    }
    this.values = values
    this.ids = ids
    this.used = used
    this.lastId = -1
    this.lastValue = ''
    this.epoch++
    this.remap = map
    return map
  }
}
