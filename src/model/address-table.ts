import {grownTo} from '../typed-arrays.js'
import {dottedQuad, quadString} from '../formats/shared/dotted-quad.js'
import {KeyIndex} from './key-index.js'
import {detach} from './interning.js'

/**
 * Address strings to small ids (0 is reserved for null), with ids that are given back: a busy
 * server's loop meets millions of distinct peers over a day, so ids not used in the last two
 * snapshots are dropped and the rest renumbered (`compact`), which keeps memory bounded by the
 * addresses of a snapshot, not by the file. Holders of ids follow a renumbering through `epoch`
 * and `remap` (old id → new id, -1 when dropped).
 */
export class AddressTable {
  private ids = new Map<string, number>()
  /** IPv4 addresses (canonical dotted quads) by their 32-bit value: no string hashing on the hot path. */
  private readonly v4 = new KeyIndex(4096)
  /** Per id: the IPv4 value, or -1 for other addresses. */
  private v4Of = new Float64Array(1024)
  /** Per id: the address string, or null for an IPv4 one whose string nobody has asked for yet (see `value`). */
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

  get size(): number {
    return this.count
  }

  /** The id of `value`, a new one the first time. `fresh`: the string shares no memory with a larger one (no copy needed). */
  id(value: string | null, fresh = false): number {
    if (value === null) return 0
    if (value === this.lastValue && this.lastId >= 0) return this.lastId
    const n = dottedQuad(value)
    let id = n >= 0 ? this.v4.get(n) : (this.ids.get(value) ?? -1)
    if (id < 0) id = this.add(fresh ? value : detach(value), n)
    this.lastValue = value
    this.lastId = id
    return id
  }

  /** The id of the IPv4 address whose 32-bit value is `n`, or -1 when it has none yet (see `add`). */
  v4Id(n: number): number {
    return this.v4.get(n)
  }

  /** The id of the IPv4 address whose 32-bit value is `n`, a new one (its string made when asked for) the first time. */
  v4Intern(n: number): number {
    const v4 = this.v4
    const i = v4.find(n)
    const found = v4.valueAt(i)
    if (found >= 0) return found
    const id = this.count
    v4.putAt(i, n, id)
    this.push(null, n)
    return id
  }

  /**
   * A new id for `value` (not in the table; shares no memory with a larger string); `v4`: its IPv4 value or -1.
   * An IPv4 address may come without its string (null): it is made from the value when first asked for.
   */
  add(value: string | null, v4: number): number {
    const id = this.count
    if (v4 >= 0) this.v4.set(v4, id)
    else this.ids.set(value ?? '', id)
    this.push(value, v4)
    return id
  }

  /** The next id's entries. */
  private push(value: string | null, v4: number): void {
    const id = this.count
    if (id === this.values.length) this.values.push(value)
    else this.values[id] = value
    this.count = id + 1
    if (id >= this.used.length) {
      this.used = grownTo(this.used, this.used.length * 2)
      this.v4Of = grownTo(this.v4Of, this.used.length)
    }
    this.v4Of[id] = v4
  }

  value(id: number): string | null {
    const v = this.values[id]
    if (v !== null && v !== undefined) return v
    if (id <= 0 || id >= this.count || !(this.v4Of[id]! >= 0)) return null
    return (this.values[id] = quadString(this.v4Of[id]!))
  }

  /** The IPv4 value of address `id`, or -1 for other addresses (and unknown ids). */
  v4Value(id: number): number {
    return id > 0 && id < this.count ? this.v4Of[id]! : -1
  }

  /** Marks `id` as used by snapshot generation `generation`. */
  use(id: number, generation: number): void {
    this.used[id] = generation
  }

  /** Room for `n` ids without the IPv4 index growing (what the owner lets the table reach before it compacts). */
  reserve(n: number): void {
    this.v4.reserve(n)
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
    const v4Of = this.v4Of
    const v4 = this.v4
    v4.clear()
    const ids = this.ids.size > 0 ? new Map<string, number>() : this.ids
    map[0] = 0
    let k = 1
    // In place: a kept id only moves towards the front.
    for (let i = 1; i < n; i++) {
      if (used[i]! < since) continue
      const v = values[i]!
      map[i] = k
      used[k] = used[i]!
      v4Of[k] = v4Of[i]!
      if (v4Of[k]! >= 0) v4.set(v4Of[k]!, k)
      else ids.set(v!, k)
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
