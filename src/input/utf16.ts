import {kernelInstance, type KernelMemory} from '../formats/netstat/kernel.js'

/**
 * UTF-16LE to UTF-8 bytes, without a string in between: what `StringDecoder('utf16le')` then
 * `Buffer.from(text)` gave, byte for byte, written into a reused buffer (the decoder and the string it
 * made cost about a sixth of a worker's time on a PowerShell loop).
 *
 * Byte for byte includes the decoder's way with what is cut between chunks: a chunk of odd length keeps
 * its last byte for the next one; a chunk of even length ending in a high surrogate keeps those two bytes.
 * What was kept, completed by the next chunk's first bytes, starts that chunk's text. Surrogates pair
 * only inside one chunk's text: a high surrogate whose low one is cut in half (an odd chunk) becomes
 * EF BF BD, and so does that low one, as a lone surrogate always does.
 */
export class Utf16leToUtf8 {
  /** Bytes kept from the last chunk (at most 3: a high surrogate and one byte of the next unit). */
  private readonly kept = new Uint8Array(4)
  /** What `kept` held before a {@link writeUnlessCrLf} that takes nothing. */
  private readonly savedKept = new Uint8Array(4)
  private keptBytes = 0
  /** Bytes the kept ones wait for (the decoder's "missing bytes"). */
  private missing = 0
  private out = Buffer.allocUnsafe(1 << 16)
  private used = 0
  /** The first units of a chunk's text when bytes were kept: the kept unit(s) and at most one unit it pairs with. */
  private readonly scratch = new Uint8Array(6)
  /** Units at an odd byte offset (or on a big-endian machine) are copied here to be read as Uint16Array. */
  private aligned = Buffer.alloc(0)
  /** The compiled kernel's encoder, made for the first long stretch (null: not built, the encoder below is used). */
  private kernel: Utf16Kernel | null | undefined
  /** The last {@link encode} went to the kernel. */
  private viaKernel = false

  /** Input bytes taken but not yet turned into UTF-8 (the tail of a cut unit or surrogate pair). */
  get held(): number {
    return this.keptBytes
  }

  /** Starts writing at the start of the output buffer again: what was returned before may be overwritten. */
  rewind(): void {
    this.used = 0
  }

  /** Forgets the bytes kept (the input switched to another encoding), as a new decoder would. */
  reset(): void {
    this.keptBytes = 0
    this.missing = 0
  }

  /** The UTF-8 for `bytes`: valid until {@link rewind}, untouched by later writes before it. */
  write(bytes: Uint8Array): Buffer {
    return this.take(bytes).out
  }

  /**
   * As {@link write}, for a chunk in which 8-bit text may start: its UTF-8, or null, with nothing taken, when
   * its bytes may hold an 8-bit CR LF (`0D 0A` side by side, at any offset: `indexOf` would find it), which
   * the caller then looks for. The compiled kernel notes such a pair while it encodes the chunk (most of it,
   * in one call); the few bytes around that stretch are looked at here. Without the kernel, or for a chunk
   * too short for it: null.
   */
  writeUnlessCrLf(bytes: Uint8Array): Buffer | null {
    // Too short for the kernel, or no kernel: nothing to gain, and the caller's search then encodes it once.
    if (bytes.length < KERNEL_MIN_BYTES || this.kernel === null) return null
    this.savedKept.set(this.kept)
    const {keptBytes, missing, used} = this
    const r = this.take(bytes)
    if (r.kernel && !this.kernel!.crLf() && !crLfOutside(bytes, r.s, r.e)) return r.out
    this.kept.set(this.savedKept)
    this.keptBytes = keptBytes
    this.missing = missing
    this.used = used
    return null
  }

  /** {@link write}, and the stretch of `bytes` encoded in one call, whether by the kernel. */
  private take(bytes: Uint8Array): {out: Buffer; s: number; e: number; kernel: boolean} {
    let s = 0
    let n = bytes.length
    this.reserve(n + 4)
    const at = this.used
    if (this.missing > 0) {
      const take = Math.min(n, this.missing)
      for (let k = 0; k < take; k++) this.kept[this.keptBytes++] = bytes[k]!
      this.missing -= take
      s = take
      n -= take
      if (this.missing > 0) return {out: this.out.subarray(at, at), s, e: s, kernel: false}
    }
    // What the decoder keeps of this chunk: an odd byte, else a high surrogate at the end.
    let e = s + n
    const keep = n % 2 === 1 ? 1 : n > 0 && (bytes[e - 1]! & 0xfc) === 0xd8 ? 2 : 0
    e -= keep
    if (this.keptBytes > 0) {
      // The kept unit(s) start this chunk's text; a high surrogate last among them pairs with a low one next.
      const k = this.keptBytes
      this.scratch.set(this.kept.subarray(0, k))
      let len = k
      if ((this.scratch[k - 1]! & 0xfc) === 0xd8 && e - s >= 2 && (bytes[s + 1]! & 0xfc) === 0xdc) {
        this.scratch[len++] = bytes[s]!
        this.scratch[len++] = bytes[s + 1]!
        s += 2
      }
      this.keptBytes = 0
      this.used = this.encode(this.scratch, 0, len)
    }
    if (keep > 0) {
      this.kept.set(bytes.subarray(e, e + keep))
      this.keptBytes = keep
      this.missing = keep
    }
    this.viaKernel = false
    this.used = this.encode(bytes, s, e)
    return {out: this.out.subarray(at, this.used), s, e, kernel: this.viaKernel}
  }

  /** The UTF-8 for the bytes still kept at the end of the input (a lone high surrogate; an odd byte is dropped). */
  end(): Buffer {
    const k = this.keptBytes - (this.keptBytes % 2)
    this.reset()
    this.reserve(4)
    const at = this.used
    this.used = this.encode(this.kept, 0, k)
    return this.out.subarray(at, this.used)
  }

  /** Writes the UTF-8 of the units in bytes[s, e) (e − s even) at `used`; returns where it ends. */
  private encode(bytes: Uint8Array, s: number, e: number): number {
    if (e <= s) return this.used
    if (e - s >= KERNEL_MIN_BYTES) {
      this.kernel ??= Utf16Kernel.create()
      if (this.kernel) {
        this.viaKernel = true
        return this.kernel.encode(bytes, s, e, this.out, this.used)
      }
    }
    const at = bytes.byteOffset + s
    if (LITTLE_ENDIAN && at % 2 === 0) return encode(bytes.buffer, at, (e - s) / 2, this.out, this.used)
    if (this.aligned.length < e - s) this.aligned = Buffer.alloc(Math.max(e - s, 2 * this.aligned.length))
    const copy = this.aligned.subarray(0, e - s)
    copy.set(bytes.subarray(s, e))
    if (!LITTLE_ENDIAN) copy.swap16()
    return encode(copy.buffer, copy.byteOffset, (e - s) / 2, this.out, this.used)
  }

  /** Room for the UTF-8 of `bytes` more input bytes: a new buffer leaves what was returned before intact. */
  private reserve(bytes: number): void {
    // At most 3 UTF-8 bytes per 2-byte unit, and the units kept from the last chunk.
    const need = this.used + Math.ceil((bytes * 3) / 2) + 8
    if (need > this.out.length) {
      this.out = Buffer.allocUnsafe(Math.max(need, this.out.length * 2))
      this.used = 0
    }
  }
}

/** Stretches from this many bytes on go to the compiled kernel: below, copying them in and out costs more than it saves. */
const KERNEL_MIN_BYTES = 4096

/**
 * The compiled kernel's encoder (kernel/utf16.ts, in an instance of its own): the same UTF-8 as
 * {@link encode} below, ASCII 16 units at a time. The units are copied into its memory and the UTF-8 out.
 */
type Utf16Exports = {memory: KernelMemory; utf16Area(n: number): number; utf16ToUtf8(at: number, n: number): number; utf16CrLf(): number}

class Utf16Kernel {
  private constructor(private readonly ex: Utf16Exports) {}

  /** An instance, or null when the kernel is not built (the JavaScript encoder is used then). */
  static create(): Utf16Kernel | null {
    try {
      return new Utf16Kernel(kernelInstance().exports as Utf16Exports)
    } catch {
      return null
    }
  }

  /** The last {@link encode}'s bytes held an 8-bit CR LF (`0D 0A` side by side). */
  crLf(): boolean {
    return this.ex.utf16CrLf() !== 0
  }

  /** As {@link encode}: the UTF-8 of the units in bytes[s, e) (e − s even, at least 2) written into out at o; returns where it ends. */
  encode(bytes: Uint8Array, s: number, e: number, out: Buffer, o: number): number {
    const n = (e - s) >> 1
    const at = this.ex.utf16Area(n)
    const mem = new Uint8Array(this.ex.memory.buffer)
    mem.set(bytes.subarray(s, e), at)
    const length = this.ex.utf16ToUtf8(at, n)
    out.set(mem.subarray(at + 2 * n, at + 2 * n + length), o)
    return o + length
  }
}

/** An 8-bit CR LF (`0D 0A`) in `bytes` that involves a byte outside [s, e) (the stretch the kernel looked at). */
function crLfOutside(bytes: Uint8Array, s: number, e: number): boolean {
  const pair = (k: number) => bytes[k] === 0x0d && bytes[k + 1] === 0x0a
  for (let k = 0; k < s && k + 1 < bytes.length; k++) if (pair(k)) return true
  for (let k = Math.max(0, e - 1); k + 1 < bytes.length; k++) if (pair(k)) return true
  return false
}

/** True where typed arrays are little-endian (x64, arm64): UTF-16LE bytes are read as Uint16Array in place. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/**
 * Writes the UTF-8 of the `n` code units at byte `at` (even) of `buffer` into out from `o`; returns where
 * it ends. A surrogate without its other half becomes EF BF BD (U+FFFD), as in `Buffer.from(string)`.
 */
function encode(buffer: ArrayBufferLike, at: number, n: number, out: Buffer, o: number): number {
  const w = new Uint16Array(buffer, at, n)
  // Netstat text is nearly all ASCII: two units at a time, one 32-bit read, from a 4-byte boundary.
  const lead = (at & 2) >> 1
  const pairs = LITTLE_ENDIAN ? new Uint32Array(buffer, at + 2 * lead, Math.max(0, (n - lead) >> 1)) : new Uint32Array(0)
  let i = 0
  while (i < n) {
    if (((i - lead) & 1) === 0) {
      let k = (i - lead) >> 1
      for (const m = pairs.length; k < m; k++) {
        const x = pairs[k]!
        if ((x & 0xff80ff80) !== 0) break
        out[o++] = x & 0x7f
        out[o++] = x >>> 16
      }
      i = 2 * k + lead
      if (i >= n) return o
    }
    const u = w[i++]!
    if (u < 0x80) out[o++] = u
    else if (u < 0x800) {
      out[o++] = 0xc0 | (u >> 6)
      out[o++] = 0x80 | (u & 0x3f)
    } else if ((u & 0xf800) !== 0xd800) {
      out[o++] = 0xe0 | (u >> 12)
      out[o++] = 0x80 | ((u >> 6) & 0x3f)
      out[o++] = 0x80 | (u & 0x3f)
    } else if (u < 0xdc00 && i < n && (w[i]! & 0xfc00) === 0xdc00) {
      const c = 0x10000 + ((u - 0xd800) << 10) + (w[i++]! - 0xdc00)
      out[o++] = 0xf0 | (c >> 18)
      out[o++] = 0x80 | ((c >> 12) & 0x3f)
      out[o++] = 0x80 | ((c >> 6) & 0x3f)
      out[o++] = 0x80 | (c & 0x3f)
    } else {
      out[o++] = 0xef
      out[o++] = 0xbf
      out[o++] = 0xbd
    }
  }
  return o
}

/**
 * How many UTF-16LE bytes the UTF-8 in buf[start, end) came from (whole characters): 2 for each
 * character of 1 to 3 bytes (EF BF BD, a lone surrogate's, included), 4 for each of 4 bytes.
 */
export function utf16Length(buf: Uint8Array, start: number, end: number): number {
  let n = 0
  for (let i = start; i < end; i++) {
    const b = buf[i]!
    if ((b & 0xc0) !== 0x80) n += b >= 0xf0 ? 4 : 2
  }
  return n
}
