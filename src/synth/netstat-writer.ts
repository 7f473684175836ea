/**
 * Fast, byte-level writer of netstat loop text for the generated benchmark shapes: rows padded as
 * netstat pads them, handed out in chunks of about 1 MiB (a new buffer each, so the consumer may keep
 * it), as 8-bit text or as UTF-16LE with a BOM (a PowerShell 5.1 loop).
 */
import {stampLine, type LoopScenario} from './loop.js'

/** Column widths of `netstat -ano`: local and foreign address 23, state 16 (a longer field is followed by two spaces). */
const ADDRESS_WIDTH = 23
const STATE_WIDTH = 16
const CR = 13
const LF = 10
const SPACE = 32
const HEX = '0123456789abcdef'
const DIGITS = new Uint8Array(65536 * 5)
const DIGIT_LEN = new Uint8Array(65536)
for (let n = 0; n < 65536; n++) {
  const s = String(n)
  DIGIT_LEN[n] = s.length
  for (let i = 0; i < s.length; i++) DIGITS[n * 5 + i] = s.charCodeAt(i)
}
/** More than one row takes: two bracketed IPv6 endpoints with zone ids, a state, a PID. */
const ROW_ROOM = 256

export type WriterOptions = {
  /** UTF-16LE with a byte-order mark, as PowerShell 5.1's `Out-File` writes. */
  utf16?: boolean
  german?: boolean
  chunkBytes?: number
}

const GERMAN_STATES: Readonly<Record<string, string>> = {
  LISTENING: 'ABHÖREN',
  ESTABLISHED: 'HERGESTELLT',
  TIME_WAIT: 'WARTEND',
  CLOSE_WAIT: 'SCHLIESSEN_WARTEN',
}

export class NetstatWriter {
  private buf: Buffer
  private pos = 0
  private field = 0
  private bom: boolean
  private readonly chunkBytes: number
  private readonly utf16: boolean
  private readonly german: boolean

  constructor(o: WriterOptions = {}) {
    this.chunkBytes = o.chunkBytes ?? 1 << 20
    this.utf16 = o.utf16 ?? false
    this.german = o.german ?? false
    this.bom = this.utf16
    this.buf = Buffer.allocUnsafe(2 * this.chunkBytes)
  }

  /** True once a chunk's worth is written: hand it out with take() (generators check between snapshots). */
  get full(): boolean {
    return this.pos >= this.chunkBytes
  }

  /** The bytes written since the last take(), encoded. */
  take(): Buffer {
    const bytes = this.buf.subarray(0, this.pos)
    this.buf = Buffer.allocUnsafe(2 * this.chunkBytes)
    this.pos = 0
    if (!this.utf16) return bytes
    const wide = Buffer.from(bytes.toString('latin1'), 'utf16le')
    if (!this.bom) return wide
    this.bom = false
    return Buffer.concat([Buffer.from([0xff, 0xfe]), wide])
  }

  /** Room for `n` more bytes (a snapshot may outgrow a chunk: chunks are handed out between snapshots). */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n))
    this.buf.copy(grown, 0, 0, this.pos)
    this.buf = grown
  }

  /** Latin-1 text (the writer's 8-bit encoding; `Ö` becomes U+00D6 in UTF-16). */
  text(s: string): void {
    this.room(s.length + 2)
    const b = this.buf
    let p = this.pos
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i)
    this.pos = p
  }

  newline(): void {
    this.buf[this.pos++] = CR
    this.buf[this.pos++] = LF
  }

  line(s: string): void {
    this.text(s)
    this.newline()
  }

  /** A non-negative integer in decimal (numbers below 65,536 from a table: ports and octets are most of a row). */
  num(n: number): void {
    const b = this.buf
    if (n < 65536) {
      const len = DIGIT_LEN[n]!
      const at = n * 5
      for (let i = 0; i < len; i++) b[this.pos++] = DIGITS[at + i]!
      return
    }
    let digits = 1
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++
    const start = this.pos
    let p = start + digits
    this.pos = p
    for (let x = n; p > start; x = Math.floor(x / 10)) b[--p] = 48 + (x % 10)
  }

  /** The stamp line and the header block that start every snapshot of the troubleshooting guide's loop. */
  snapshotHeader(t: number, dateStyle: LoopScenario['dateStyle']): void {
    this.line(stampLine(new Date(t), dateStyle))
    this.newline()
    this.line(this.german ? 'Aktive Verbindungen' : 'Active Connections')
    this.newline()
    this.line(
      this.german
        ? '  Proto  Lokale Adresse         Remoteadresse          Status           PID'
        : '  Proto  Local Address          Foreign Address        State           PID',
    )
  }

  /** Starts a row: `  TCP    ` (the local address starts at column 9). */
  begin(proto: 'TCP' | 'UDP'): void {
    this.room(ROW_ROOM)
    this.text(proto === 'TCP' ? '  TCP    ' : '  UDP    ')
    this.field = this.pos
  }

  ipv4(ip: number): void {
    this.num(ip >>> 24)
    this.buf[this.pos++] = 46
    this.num((ip >>> 16) & 255)
    this.buf[this.pos++] = 46
    this.num((ip >>> 8) & 255)
    this.buf[this.pos++] = 46
    this.num(ip & 255)
  }

  /** `a.b.c.d:port` */
  ep4(ip: number, port: number): void {
    this.ipv4(ip)
    this.buf[this.pos++] = 58
    this.num(port)
  }

  /** `[g0:g1:…:g7]:port` from eight 16-bit groups, none of them zero (so netstat writes no `::`). */
  ep6(groups: ArrayLike<number>, port: number): void {
    const b = this.buf
    b[this.pos++] = 91
    for (let i = 0; i < 8; i++) {
      if (i > 0) b[this.pos++] = 58
      const g = groups[i]!
      let started = false
      for (let shift = 12; shift >= 0; shift -= 4) {
        const d = (g >>> shift) & 15
        if (d === 0 && !started && shift > 0) continue
        started = true
        b[this.pos++] = HEX.charCodeAt(d)
      }
    }
    b[this.pos++] = 93
    b[this.pos++] = 58
    this.num(port)
  }

  /** Pads the field just written to `width` (two spaces after a longer one) and starts the next. */
  private pad(width: number): void {
    const len = this.pos - this.field
    const n = len >= width ? 2 : width - len
    const b = this.buf
    for (let i = 0; i < n; i++) b[this.pos++] = SPACE
    this.field = this.pos
  }

  /** Ends an address field (local or foreign). */
  next(): void {
    this.pad(ADDRESS_WIDTH)
  }

  /** Writes the state (blank for UDP) and the PID, and ends the row. */
  end(state: string, pid: number): void {
    if (state !== '') this.text(this.german ? (GERMAN_STATES[state] ?? state) : state)
    this.pad(STATE_WIDTH)
    this.num(pid)
    this.newline()
  }

  /** A whole row whose addresses are text (listeners, `*:*`). */
  row(proto: 'TCP' | 'UDP', local: string, foreign: string, state: string, pid: number): void {
    this.begin(proto)
    this.text(local)
    this.next()
    this.text(foreign)
    this.next()
    this.end(state, pid)
  }
}

/** lowbias32: a bijection on 32-bit integers, so distinct counters give distinct addresses. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d)
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b)
  return (x ^ (x >>> 16)) >>> 0
}

const REMAPPED_OCTETS = [23, 45, 81, 102, 151, 185, 203, 212]

/** A public-looking IPv4 address for counter `n` (distinct for distinct `n`, bar rare remaps of reserved first octets). */
export function publicIpv4(n: number): number {
  const x = mix32(n)
  const a = x >>> 24
  if (a !== 0 && a !== 10 && a !== 127 && a < 224) return x
  return ((REMAPPED_OCTETS[a % REMAPPED_OCTETS.length]! << 24) | (x & 0xffffff)) >>> 0
}

const V6_PREFIXES = [0x2a02, 0x2001, 0x2600, 0x2a01, 0x2406, 0x2803]

/** A global IPv6 client address for counter `n`, as eight non-zero groups (distinct for distinct `n`). */
export function publicIpv6(n: number, out: Uint16Array): Uint16Array {
  const a = mix32(n)
  const b = mix32(n ^ 0x5bd1e995)
  const c = mix32(n + 0x1b873593)
  out[0] = V6_PREFIXES[a % V6_PREFIXES.length]!
  out[1] = (a >>> 16) || 1
  out[2] = (a & 0xffff) || 1
  out[3] = (b >>> 16) || 1
  out[4] = (b & 0xffff) || 1
  out[5] = (c >>> 16) || 1
  out[6] = (c & 0xffff) || 1
  out[7] = (mix32(n + 7) & 0xffff) || 1
  return out
}

/** The load of a server at time `t`: a daily cycle peaking at 14:00 times slow, autocorrelated noise. */
export class Load {
  private ar = 0
  constructor(
    private readonly rand: () => number,
    private readonly amplitude = 0.15,
    private readonly noise = 0.04,
  ) {}

  at(t: number): number {
    const hour = (t / 3_600_000) % 24
    this.ar = 0.9 * this.ar + this.noise * (this.rand() + this.rand() + this.rand() - 1.5)
    return Math.max(0.2, (1 + this.amplitude * Math.cos((2 * Math.PI * (hour - 14)) / 24)) * (1 + this.ar))
  }
}

/** Dotted IPv4 text → 32-bit number. */
export function ipv4(text: string): number {
  return text.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0
}
