/** Decodes bytes [start, end) of a line in the input's encoding. */
export type ByteDecoder = (buf: Buffer, start: number, end: number) => string

/**
 * Canonical strings for byte sequences that repeat (addresses, process names): the same bytes give
 * the same string object, built once. Rows then carry no freshly allocated strings, and consumers
 * that key maps by these strings hit V8's cached hash.
 */
export class ByteStrings {
  private hashes: Int32Array
  private strings: (string | null)[]
  private bytes: (Uint8Array | null)[]
  private mask: number
  private size = 0

  constructor(
    private readonly decode: ByteDecoder,
    capacity = 4096,
  ) {
    let cap = 16
    while (cap < capacity * 2) cap <<= 1
    this.hashes = new Int32Array(cap)
    this.strings = new Array(cap).fill(null)
    this.bytes = new Array(cap).fill(null)
    this.mask = cap - 1
  }

  get(buf: Buffer, start: number, end: number): string {
    let h = 0x811c9dc5 | 0
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193)
    let i = h & this.mask
    for (;;) {
      const known = this.bytes[i]
      if (known === null || known === undefined) break
      if (this.hashes[i] === h && known.length === end - start && same(known, buf, start)) return this.strings[i]!
      i = (i + 1) & this.mask
    }
    const s = this.decode(buf, start, end)
    this.hashes[i] = h
    this.strings[i] = s
    this.bytes[i] = Uint8Array.prototype.slice.call(buf, start, end)
    if (++this.size * 2 > this.mask) this.grow()
    return s
  }

  private grow(): void {
    const {hashes, strings, bytes} = this
    const cap = (this.mask + 1) * 2
    this.hashes = new Int32Array(cap)
    this.strings = new Array(cap).fill(null)
    this.bytes = new Array(cap).fill(null)
    this.mask = cap - 1
    for (let k = 0; k < bytes.length; k++) {
      const b = bytes[k]
      if (!b) continue
      let i = hashes[k]! & this.mask
      while (this.bytes[i]) i = (i + 1) & this.mask
      this.hashes[i] = hashes[k]!
      this.strings[i] = strings[k]!
      this.bytes[i] = b
    }
  }
}

function same(a: Uint8Array, buf: Uint8Array, start: number): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== buf[start + k]) return false
  return true
}

export const utf8Decoder: ByteDecoder = (buf, s, e) => buf.toString('utf8', s, e)
