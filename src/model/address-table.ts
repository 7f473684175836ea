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
  private ids = new StringIds()
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
    let id = n >= 0 ? V4_BASE + n : this.ids.get(value, this.values)
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
    if (id === this.values.length) this.values.push(value)
    else this.values[id] = value
    this.ids.add(value ?? '', id)
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
    map[0] = 0
    let k = 1
    // In place: a kept id only moves towards the front.
    for (let i = 1; i < n; i++) {
      if (used[i]! < since) continue
      map[i] = k
      used[k] = used[i]!
      values[k] = values[i]!
      k++
    }
    values.fill(null, k, n)
    this.count = k
    used.fill(0, k, n)
    this.ids.clear()
    for (let i = 1; i < k; i++) this.ids.add(values[i] ?? '', i)
    this.lastId = -1
    this.lastValue = ''
    this.epoch++
    this.remap = map
    return map
  }
}

/**
 * Strings to ids (`values[id]` is the string): open addressing over typed arrays, a slot per id with the
 * string's hash beside it, grown by doubling and emptied in place. A Map did the same, but a table of the
 * addresses of two snapshots is rebuilt at every renumbering and grows again after it: on a loop of 60,000
 * fresh IPv6 peers a snapshot its backing stores were half of what the JavaScript heap allocated, garbage in
 * the old generation that set the heap's size.
 */
class StringIds {
  private hashes = new Int32Array(1024)
  /** The id in each slot, -1 when empty. */
  private slots = new Int32Array(1024).fill(-1)
  private size = 0

  get(value: string, values: readonly (string | null)[]): number {
    const mask = this.slots.length - 1
    const h = stringHash(value)
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = this.slots[i]!
      if (id < 0) return -1
      if (this.hashes[i] === h && (values[id] ?? '') === value) return id
    }
  }

  /** Adds `value` (not in the table) as `id`. */
  add(value: string, id: number): void {
    if (++this.size * 2 > this.slots.length) this.grow()
    this.put(stringHash(value), id)
  }

  clear(): void {
    this.slots.fill(-1)
    this.size = 0
  }

  private put(h: number, id: number): void {
    const mask = this.slots.length - 1
    let i = h & mask
    while (this.slots[i]! >= 0) i = (i + 1) & mask
    this.slots[i] = id
    this.hashes[i] = h
  }

  private grow(): void {
    const {slots, hashes} = this
    this.slots = new Int32Array(slots.length * 2).fill(-1)
    this.hashes = new Int32Array(slots.length * 2)
    for (let i = 0; i < slots.length; i++) if (slots[i]! >= 0) this.put(hashes[i]!, slots[i]!)
  }
}

/** FNV-1a over a string's UTF-16 code units, mixed at the end. */
function stringHash(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  h ^= h >>> 15
  return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 12)
}
