import {grownTo} from '../typed-arrays.js'

/**
 * Dense ids 0, 1, 2… for the keys (a, b, c) (three int32 words) one snapshot meets, in the order first
 * met, emptied in O(1) when the table starts serving another snapshot (`begin`). What a busy server's
 * loop meets over a day costs nothing past the snapshot that met it: the index is sized to one
 * snapshot's keys (it grows with the largest snapshot, never with the file), and nothing is renumbered.
 *
 * Laid out for the cache: an index slot is 8 bytes (the snapshot's stamp and 16 bits of the key's hash
 * in one word, the id in the other), so the index of a snapshot of 10,000 keys is 256 KB; keys sit by
 * id, four words apart, where a loop's rows repeated in the same order read them one after the other.
 */
export class SnapshotIds {
  /** Slot i: (stamp << 16 | hash >>> 16) at 2i (0: free), id at 2i + 1. */
  private index: Int32Array
  private mask: number
  /** 1…65535: the stamp of this snapshot's slots (when it wraps, the index is cleared). */
  private stamp = 1
  /** Ids handed out since `begin`. */
  size = 0
  /** The key of each id: (a, b, c) at 4 × id. */
  keys: Int32Array
  /** Whether the last `id` call added its key. */
  added = false

  constructor(capacity = 1024) {
    const cap = slotsFor(capacity)
    this.index = new Int32Array(cap * 2)
    this.mask = cap - 1
    this.keys = new Int32Array(capacity * 4)
  }

  /** Empties the table for another snapshot (its memory is kept). */
  begin(): void {
    this.size = 0
    if (++this.stamp === 0x10000) {
      this.index.fill(0)
      this.stamp = 1
    }
  }

  /** The id of key (a, b, c), a new one (`added`) the first time since `begin`. */
  id(a: number, b: number, c: number): number {
    const i = this.probe(a, b, c)
    if (this.hit >= 0) {
      this.added = false
      return this.hit
    }
    const d = this.size++
    if (d * 4 === this.keys.length) this.keys = grownTo(this.keys, d * 8)
    const k = d * 4
    this.keys[k] = a
    this.keys[k + 1] = b
    this.keys[k + 2] = c
    this.added = true
    if (this.size * 2 > this.mask) this.rehash(slotsFor(this.size * 2))
    else {
      this.index[i * 2] = this.tag
      this.index[i * 2 + 1] = d
    }
    return d
  }

  /** The id of key (a, b, c), or -1 when this snapshot has not met it. */
  find(a: number, b: number, c: number): number {
    this.probe(a, b, c)
    return this.hit
  }

  /** What the last `probe` found (-1: nothing), and the slot word its key would have. */
  private hit = -1
  private tag = 0

  /** The slot where key (a, b, c) is (its id in `hit`) or would go (`hit` -1). */
  private probe(a: number, b: number, c: number): number {
    const index = this.index
    const keys = this.keys
    const mask = this.mask
    const h = hash3(a, b, c)
    const stampBits = this.stamp << 16
    const tag = stampBits | (h >>> 16)
    this.tag = tag
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const t = index[i * 2]!
      if (t === tag) {
        const d = index[i * 2 + 1]!
        const k = d * 4
        if (keys[k] === a && keys[k + 1] === b && keys[k + 2] === c) {
          this.hit = d
          return i
        }
      } else if ((t & 0xffff0000) !== stampBits) {
        this.hit = -1
        return i
      }
    }
  }

  /** Key words of id d: a at 4d, b at 4d + 1, c at 4d + 2. */
  keyA(d: number): number {
    return this.keys[d * 4]!
  }

  keyB(d: number): number {
    return this.keys[d * 4 + 1]!
  }

  keyC(d: number): number {
    return this.keys[d * 4 + 2]!
  }

  /**
   * Rewrites the keys' first words through `map` (old → new; each must map to ≥ 0), except for keys whose
   * second word has a bit of `unlessB`, and re-indexes them.
   */
  rekeyA(map: Int32Array, unlessB = 0): void {
    for (let d = 0; d < this.size; d++) if ((this.keys[d * 4 + 1]! & unlessB) === 0) this.keys[d * 4] = map[this.keys[d * 4]!]!
    this.rehash(this.mask + 1)
  }

  /** Re-indexes every id of this snapshot into `slots` slots. */
  private rehash(slots: number): void {
    if (slots !== this.mask + 1) {
      this.index = new Int32Array(slots * 2)
      this.mask = slots - 1
    } else this.index.fill(0)
    const {keys, mask, index} = this
    const stampBits = this.stamp << 16
    for (let d = 0; d < this.size; d++) {
      const h = hash3(keys[d * 4]!, keys[d * 4 + 1]!, keys[d * 4 + 2]!)
      let i = h & mask
      while ((index[i * 2]! & 0xffff0000) === stampBits) i = (i + 1) & mask
      index[i * 2] = stampBits | (h >>> 16)
      index[i * 2 + 1] = d
    }
  }
}

/** Index slots for `n` keys: a power of two, at least twice as many. */
function slotsFor(n: number): number {
  let cap = 16
  while (cap < n * 2) cap <<= 1
  return cap
}

function hash3(a: number, b: number, c: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ 0x7f4a7c15, 0x85ebca6b) ^ Math.imul(c ^ 0x165667b1, 0xc2b2ae35)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  return h ^ (h >>> 12)
}
