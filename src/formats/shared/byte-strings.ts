/** Decodes bytes [start, end) of a line in the input's encoding. */
export type ByteDecoder = (buf: Buffer, start: number, end: number) => string

/**
 * Canonical strings for byte sequences that repeat (addresses, process names): the same bytes give
 * the same string object, built once. Rows then carry no freshly allocated strings, and consumers
 * that key maps by these strings hit V8's cached hash. Keys live in one byte arena.
 */
export class ByteStrings {
  private hashes: Int32Array
  private offsets: Int32Array
  private lengths: Int32Array
  private strings: string[]
  private mask: number
  private size = 0
  private ids: Int32Array
  private arena = new Uint8Array(64 * 1024)
  private used = 0
  /** The `idOf` id of the string the last `get` returned (-1 without `idOf`). */
  lastId = -1

  constructor(
    private readonly decode: ByteDecoder,
    capacity = 4096,
    private readonly idOf?: (value: string) => number,
  ) {
    let cap = 16
    while (cap < capacity * 2) cap <<= 1
    this.hashes = new Int32Array(cap)
    this.offsets = new Int32Array(cap).fill(-1)
    this.lengths = new Int32Array(cap)
    this.strings = new Array<string>(cap).fill('')
    this.ids = new Int32Array(cap)
    this.mask = cap - 1
  }

  /** Entries past which the cache starts afresh (it is a cache: a busy server's peers are mostly met once). */
  static maxEntries = 1 << 13

  /** Ids renumbered by the owner of `idOf` (old → new, -1 dropped): dropped ones are asked for again when met. */
  remapIds(map: Int32Array): void {
    for (let i = 0; i <= this.mask; i++) {
      if (this.offsets[i]! < 0) continue
      const id = this.ids[i]!
      this.ids[i] = id >= 0 && id < map.length ? map[id]! : -1
    }
  }

  get(buf: Buffer, start: number, end: number): string {
    if (this.size >= ByteStrings.maxEntries) this.reset()
    const len = end - start
    let h = 0x811c9dc5 | 0
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193)
    const arena = this.arena
    let i = h & this.mask
    for (;;) {
      const off = this.offsets[i]!
      if (off < 0) break
      if (this.hashes[i] === h && this.lengths[i] === len) {
        let k = 0
        while (k < len && arena[off + k] === buf[start + k]) k++
        if (k === len) {
          let id = this.ids[i]!
          if (id < 0 && this.idOf) id = this.ids[i] = this.idOf(this.strings[i]!)
          this.lastId = id
          return this.strings[i]!
        }
      }
      i = (i + 1) & this.mask
    }
    const s = this.decode(buf, start, end)
    if (this.used + len > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.used + len))
      bigger.set(this.arena.subarray(0, this.used))
      this.arena = bigger
    }
    this.arena.set(buf.subarray(start, end), this.used)
    this.hashes[i] = h
    this.offsets[i] = this.used
    this.lengths[i] = len
    this.strings[i] = s
    this.ids[i] = this.lastId = this.idOf ? this.idOf(s) : -1
    this.used += len
    if (++this.size * 2 > this.mask) this.grow()
    return s
  }

  private reset(): void {
    this.offsets.fill(-1)
    this.strings.fill('')
    this.size = 0
    this.used = 0
  }

  private grow(): void {
    const {hashes, offsets, lengths, strings, ids} = this
    const cap = (this.mask + 1) * 2
    this.ids = new Int32Array(cap)
    this.hashes = new Int32Array(cap)
    this.offsets = new Int32Array(cap).fill(-1)
    this.lengths = new Int32Array(cap)
    this.strings = new Array<string>(cap).fill('')
    this.mask = cap - 1
    for (let k = 0; k < offsets.length; k++) {
      if (offsets[k]! < 0) continue
      let i = hashes[k]! & this.mask
      while (this.offsets[i]! >= 0) i = (i + 1) & this.mask
      this.hashes[i] = hashes[k]!
      this.offsets[i] = offsets[k]!
      this.lengths[i] = lengths[k]!
      this.strings[i] = strings[k]!
      this.ids[i] = ids[k]!
    }
  }
}

export const utf8Decoder: ByteDecoder = (buf, s, e) => buf.toString('utf8', s, e)
