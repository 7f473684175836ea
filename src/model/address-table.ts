import {grownTo} from '../typed-arrays.js'
import {dottedQuad, quadString} from '../formats/shared/dotted-quad.js'
import {V4_BASE} from './address-kinds.js'
import {detach} from './interning.js'

/**
 * Addresses to ids: an IPv4 address's id is V4_BASE + its 32-bit value (no entry, no string: see
 * `value`); other addresses (IPv6, names, `*`) get small ids (0 is reserved for null), which are given
 * back: ids not used in the last two snapshots are dropped and the rest renumbered (`compact`), which
 * keeps memory bounded by the addresses of a snapshot, not by the file. Holders of ids follow a
 * renumbering through `epoch` and `remap` (old id → new id, -1 when dropped; IPv4 ids never change).
 */
export class AddressTable {
  private ids = new Map<string, number>()
  /** Per id: the address string. */
  private values: (string | null)[] = [null]
  /** Ids handed out (the array above is not shortened by a compaction, so that it does not grow again). */
  private count = 1
  /** Per id: the last snapshot generation that used it (see `use`). */
  private used = new Uint32Array(1024)
  /** Bumped by every `compact`; `remap` is that compaction's old → new map. */
  epoch = 0
  remap: Int32Array = new Int32Array(0)
  private lastValue = ''
  private lastId = -1

  /** Ids in the table (IPv4 addresses take none). */
  get size(): number {
    return this.count
  }

  /** The id of `value`, a new one the first time. `fresh`: the string shares no memory with a larger one (no copy needed). */
  id(value: string | null, fresh = false): number {
    if (value === null) return 0
    if (value === this.lastValue && this.lastId >= 0) return this.lastId
    const n = dottedQuad(value)
    let id = n >= 0 ? V4_BASE + n : (this.ids.get(value) ?? -1)
    if (id < 0) id = this.add(fresh ? value : detach(value), -1)
    this.lastValue = value
    this.lastId = id
    return id
  }

  /**
   * The id of an address not in the table (`value` shares no memory with a larger string); `v4`: its IPv4
   * value (the id is then V4_BASE + v4, and `value` may be null: the string is made when asked for) or -1.
   */
  add(value: string | null, v4: number): number {
    if (v4 >= 0) return V4_BASE + v4
    const id = this.count
    this.ids.set(value ?? '', id)
    if (id === this.values.length) this.values.push(value)
    else this.values[id] = value
    this.count = id + 1
    if (id >= this.used.length) this.used = grownTo(this.used, this.used.length * 2)
    return id
  }

  value(id: number): string | null {
    if (id >= V4_BASE) return quadString(id - V4_BASE)
    return id > 0 && id < this.count ? (this.values[id] ?? null) : null
  }

  /** Marks `id` as used by snapshot generation `generation` (IPv4 ids need no marks: they are never dropped). */
  use(id: number, generation: number): void {
    if (id < V4_BASE) this.used[id] = generation
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
    const n = this.count
    const map = new Int32Array(n).fill(-1)
    const values = this.values
    const used = this.used
    const ids = new Map<string, number>()
    map[0] = 0
    let k = 1
    // In place: a kept id only moves towards the front.
    for (let i = 1; i < n; i++) {
      if (used[i]! < since) continue
      const v = values[i]!
      map[i] = k
      used[k] = used[i]!
      ids.set(v, k)
      values[k] = v
      k++
    }
    values.fill(null, k, n)
    this.count = k
    used.fill(0, k, n)
    this.ids = ids
    this.lastId = -1
    this.lastValue = ''
    this.epoch++
    this.remap = map
    return map
  }
}
