import {isIPv4, isIPv6} from 'node:net'

import {K_FALLBACK, K_OK, KA_END, KA_PORT, KA_SAME, KA_START, KERNEL_STATES, KF_LOCAL, KF_LSTAR, KF_PID, KF_PROTO, KF_REMOTE, KF_RSTAR, KF_STATE, NetstatKernel} from './kernel.js'
import {ViewCache} from '../../typed-arrays.js'
import {type ByteDecoder, ByteStrings} from '../shared/byte-strings.js'
import {dottedQuadBytes, quadString} from '../shared/dotted-quad.js'
import {netstatState} from './locale.js'
import type {LazyAddressRecord} from '../shared/records.js'
import {V4_BASE} from '../../model/address-kinds.js'
import type {AddressIds, ConnectionRecord, TcpState} from '../types.js'

const SPACE = 32
const TAB = 9
const COLON = 58
const LBRACKET = 91
const RBRACKET = 93

const isBlank = (c: number) => c === SPACE || c === TAB
const MAX_PORT = 65535

/** Stands for address bytes that are no address (`999.1.1.1`, `zz::1`): the row is malformed. */
export const NOT_AN_ADDRESS = '\u0000not an address'
const DOTTED_NUMBERS = /^\d+(?:\.\d+)+$/
/**
 * IPv6 as uploads hold it: a hex first group (or `::`), then groups of letters and digits, an optional
 * zone. Hand-scrubbed uploads replace later groups with letters (`fe80::asda:4124:…`); `zz::1` is no address.
 */
const LOOSE_V6 = /^[0-9a-f]{0,4}:[0-9a-z:.]*(?:%[^\s%]+)?$/i

/**
 * An address as decoded, or NOT_AN_ADDRESS: with a colon it must look like IPv6, dotted numbers must be
 * IPv4; anything else (a bare number included) is a host name netstat resolved without -n, taken as
 * written. Runs once per distinct address bytes (the string cache, or the row lane's, calls it on a miss only), never per row.
 */
export function checkedAddress(a: string): string {
  if (a.includes(':')) return isIPv6(a) || LOOSE_V6.test(a) ? a : NOT_AN_ADDRESS
  if (DOTTED_NUMBERS.test(a)) return isIPv4(a) ? a : NOT_AN_ADDRESS
  return a
}
const FOUR_SPACES = 0x20202020
/** State words remembered by their bytes, and the longest remembered (localized ones included). */
const STATE_SLOTS = 16
const STATE_BYTES = 40

/**
 * Reads one netstat row from bytes: fields split by whitespace runs (never by offset: long addresses
 * push columns right), addresses as canonical strings (and ids) that are reused while they repeat,
 * the state word matched against the last one's bytes before any decoding. No allocation per row.
 */
export class NetstatRowReader {
  private readonly tok = new Int32Array(16)
  private readonly strings: ByteStrings
  private starId: number
  private epoch: number
  /** State words met so far, by their bytes (STATE_SLOTS of STATE_BYTES each; length 0: empty), and the last one found. */
  private readonly stateBytes = new Uint8Array(STATE_SLOTS * STATE_BYTES)
  private readonly stateLens = new Int32Array(STATE_SLOTS)
  private readonly stateValues: TcpState[] = []
  private stateHit = 0
  private stateNext = 0
  private readonly lastLocal = new Uint8Array(65).fill(255)
  private readonly lastRemote = new Uint8Array(65).fill(255)
  /**
   * The strings, IPv4 values and ids behind `lastLocal`/`lastRemote` (kept here: the record may be
   * overwritten in between); a null string is an IPv4 address whose string is made from its value when
   * read (see `adopt`).
   */
  private lastLocalAddr: string | null = '*'
  private lastLocalV4 = -1
  private lastLocalId = -1
  private lastRemoteAddr: string | null = '*'
  private lastRemoteV4 = -1
  private lastRemoteId = -1
  private rec!: ConnectionRecord
  private readonly views = new ViewCache()
  /** The last address `resolve` found (null: an IPv4 one, `foundV4`), and its id. */
  private found: string | null = ''
  private foundV4 = -1
  private foundId = -1
  /** The record whose IPv4 address strings are made only when read (see `adopt`). */
  private lazyRec: LazyAddressRecord | null = null
  /**
   * The compiled row kernel (null: not built, or PORTLEAK_KERNEL is not `wasm`), the buffer staged in its memory
   * (rows of other buffers are read here), and whether the last-address caches are the kernel's
   * (`kernelLast`; each side's are dropped when the other reads a row) and still hold (`kLocalOk`, `kRemoteOk`).
   */
  private readonly kernel = NetstatKernel.create()
  private staged: Buffer | null = null
  private kernelLast = false
  private kLocalOk = false
  private kRemoteOk = false

  constructor(
    private readonly decode: ByteDecoder,
    private readonly ids: AddressIds | undefined,
  ) {
    this.strings = new ByteStrings((b, s, e) => checkedAddress(decode(b, s, e)), 4096, ids ? (s) => ids.id(s, true) : undefined)
    this.starId = ids ? ids.id('*') : -1
    this.epoch = ids?.epoch ?? 0
  }

  /** The address id of `*` (-1 without an address table). */
  get star(): number {
    return this.starId
  }

  /**
   * Follows a renumbering of the address table (call when a snapshot starts): the ids this reader
   * keeps are remapped. Returns the old → new map for other holders (an empty map: drop them all),
   * or null when nothing changed.
   */
  followAddresses(): Int32Array | null {
    const ids = this.ids
    if (!ids || ids.epoch === this.epoch) return null
    const map = ids.epoch === this.epoch + 1 ? ids.remap : new Int32Array(0)
    this.epoch = ids.epoch
    this.strings.remapIds(map)
    this.starId = ids.id('*')
    this.lastLocal[64] = 255
    this.lastRemote[64] = 255
    this.kLocalOk = false
    this.kRemoteOk = false
    return map
  }

  /**
   * Lets `rec` (the record rows are read into) leave IPv4 address strings unmade: its `localAddr` and
   * `remoteAddr` make the string from the address's value when read (the bytes were a canonical dotted
   * quad, which is that string), so a busy server's fresh peers cost no string unless a consumer asks.
   * Other records get their strings as the row is read.
   */
  adopt(rec: LazyAddressRecord): void {
    this.lazyRec = rec
  }

  /** The buffer the next rows come from (null: none); rows of it are read by the kernel when there is one. */
  stage(buf: Buffer | null): void {
    if (this.kernel === null) return
    this.staged = buf !== null && this.kernel.stage(buf) ? buf : null
  }

  /** Parses a row whose protocol starts at byte `start` into `rec`. Returns false when it is not a complete row. */
  read(buf: Buffer, start: number, n: number, decode: ByteDecoder, rec: ConnectionRecord): boolean {
    if (buf === this.staged) {
      const r = this.kernel!.parseRow(start, n)
      if (r === K_OK) return this.kernelRow(buf, rec)
      // A rejected row may have left new address bytes in the kernel: its last addresses no longer hold.
      this.kLocalOk = false
      this.kRemoteOk = false
      if (r !== K_FALLBACK) return false
    }
    if (this.kernelLast) {
      this.kernelLast = false
      this.lastLocal[64] = 255
      this.lastRemote[64] = 255
    }
    const tok = this.tok
    const view = this.views.of(buf)
    let count = 0
    let i = start
    while (i < n && count < 8) {
      // Column padding is long runs of spaces: skip them four at a time.
      while (i + 4 <= n && view.getUint32(i) === FOUR_SPACES) i += 4
      while (i < n && isBlank(buf[i]!)) i++
      if (i >= n) break
      tok[count * 2] = i
      while (i < n && !isBlank(buf[i]!)) i++
      tok[count * 2 + 1] = i
      count++
    }
    if (count < 3) return false
    this.rec = rec
    const udp = buf[start] === 85
    rec.proto = udp ? 'UDP' : 'TCP'
    if (!this.address(buf, tok[2]!, tok[3]!, true) || !this.address(buf, tok[4]!, tok[5]!, false)) return false
    rec.state = null
    rec.pid = -1
    if (udp) {
      if (count === 4) {
        const pid = digits(buf, tok[6]!, tok[7]!)
        if (pid < 0) return false
        rec.pid = pid
      } else if (count !== 3) return false
    } else {
      if (count < 4) return false
      // A PID is a trailing number; a state may be two words in some languages (`IN ASCOLTO`).
      let stateEnd = count
      const pid = count >= 5 ? digits(buf, tok[(count - 1) * 2]!, tok[(count - 1) * 2 + 1]!) : -1
      if (pid >= 0) {
        rec.pid = pid
        stateEnd = count - 1
      }
      const state = this.state(buf, tok[6]!, tok[(stateEnd - 1) * 2 + 1]!, stateEnd - 3 > 1, decode)
      if (!state) return false
      rec.state = state
    }
    rec.process = null
    return true
  }

  /** The row the kernel just parsed (K_OK) into `rec`: its addresses resolved unless they repeat the last row's. */
  private kernelRow(buf: Buffer, rec: ConnectionRecord): boolean {
    if (!this.kernelLast) {
      this.kernelLast = true
      this.kLocalOk = false
      this.kRemoteOk = false
    }
    const f = this.kernel!.fields
    this.rec = rec
    rec.proto = f[KF_PROTO] === 1 ? 'UDP' : 'TCP'
    if (!this.kernelAddress(buf, f, true)) {
      // The kernel has taken the remote address's bytes as its last ones, but they were never resolved.
      this.kRemoteOk = false
      return false
    }
    if (!this.kernelAddress(buf, f, false)) return false
    const st = f[KF_STATE]!
    rec.state = st === 0 ? null : KERNEL_STATES[st - 1]!
    rec.pid = f[KF_PID]!
    rec.process = null
    return true
  }

  private kernelAddress(buf: Buffer, f: Int32Array, local: boolean): boolean {
    if (f[local ? KF_LSTAR : KF_RSTAR] === 1) {
      if (local) this.kLocalOk = false
      else this.kRemoteOk = false
      return this.setAddr('*', -1, -1, local, this.starId)
    }
    const b = local ? KF_LOCAL : KF_REMOTE
    const port = f[b + KA_PORT]!
    if (f[b + KA_SAME] === 1 && (local ? this.kLocalOk : this.kRemoteOk)) {
      return local
        ? this.setAddr(this.lastLocalAddr, this.lastLocalV4, port, true, this.lastLocalId)
        : this.setAddr(this.lastRemoteAddr, this.lastRemoteV4, port, false, this.lastRemoteId)
    }
    const ok = this.resolve(buf, f[b + KA_START]!, f[b + KA_END]!, this.kernel!.v4(local))
    if (local) this.kLocalOk = ok
    else this.kRemoteOk = ok
    return ok && this.keep(port, local)
  }

  /**
   * The state word at bytes [s, e): one met before (a loop interleaves a handful of them), found by its
   * bytes, or a word looked up (English or localized) and remembered.
   */
  private state(buf: Buffer, s: number, e: number, words: boolean, decode: ByteDecoder): TcpState | undefined {
    const len = e - s
    const bytes = this.stateBytes
    const lens = this.stateLens
    for (let n = 0, c = this.stateHit; n < STATE_SLOTS; n++, c = c + 1 === STATE_SLOTS ? 0 : c + 1) {
      if (lens[c] !== len) continue
      const at = c * STATE_BYTES
      let k = 0
      while (k < len && bytes[at + k] === buf[s + k]) k++
      if (k === len) {
        this.stateHit = c
        return this.stateValues[c]
      }
    }
    const word = decode(buf, s, e)
    const state = netstatState(words ? word.replace(/\s+/g, '_') : word)
    if (state && len > 0 && len <= STATE_BYTES) {
      const c = this.stateNext
      this.stateNext = c + 1 === STATE_SLOTS ? 0 : c + 1
      for (let k = 0; k < len; k++) bytes[c * STATE_BYTES + k] = buf[s + k]!
      lens[c] = len
      this.stateValues[c] = state
      this.stateHit = c
    }
    return state
  }

  /** Splits `addr:port` (`[v6%zone]:port`, `*:*`, `host:https`) into the record. */
  private address(buf: Buffer, s: number, e: number, local: boolean): boolean {
    let colon = e - 1
    while (colon > s && buf[colon] !== COLON) colon--
    if (colon <= s) {
      if (e - s === 1 && buf[s] === 42) {
        ;(local ? this.lastLocal : this.lastRemote)[64] = 255
        return this.setAddr('*', -1, -1, local, this.starId)
      }
      return false
    }
    let as = s
    let ae = colon
    if (buf[s] === LBRACKET && buf[colon - 1] === RBRACKET) {
      as = s + 1
      ae = colon - 1
    }
    const port = digits(buf, colon + 1, e)
    if (port > MAX_PORT) return false
    // Rows come sorted by local address: the local column mostly repeats the previous row's.
    const last = local ? this.lastLocal : this.lastRemote
    const len = ae - as
    if (last[64] === len) {
      let k = 0
      while (k < len && last[k] === buf[as + k]) k++
      if (k === len) {
        return local
          ? this.setAddr(this.lastLocalAddr, this.lastLocalV4, port, true, this.lastLocalId)
          : this.setAddr(this.lastRemoteAddr, this.lastRemoteV4, port, false, this.lastRemoteId)
      }
    }
    if (!this.resolve(buf, as, ae, dottedQuadBytes(buf, as, ae))) return false
    // Remember the bytes behind this address (length in slot 64; 255 = none).
    if (len < 64) {
      for (let k = 0; k < len; k++) last[k] = buf[as + k]!
      last[64] = len
    } else last[64] = 255
    return this.keep(port, local)
  }

  /**
   * The string and id of the address at bytes [as, ae) (IPv4 value `v4` or -1) into `found`/`foundId`; false
   * when it is no address. An IPv4 address goes by its value (`foundV4`; found is null): no string is
   * hashed or made here (the bytes are a canonical dotted quad, the string made from the value when read).
   */
  private resolve(buf: Buffer, as: number, ae: number, v4: number): boolean {
    const ids = this.ids
    if (v4 >= 0) {
      this.found = null
      this.foundV4 = v4
      this.foundId = ids ? V4_BASE + v4 : -1
      return true
    }
    const addr = this.strings.get(buf, as, ae)
    if (addr === NOT_AN_ADDRESS) return false
    this.found = addr
    this.foundV4 = -1
    this.foundId = this.strings.lastId
    return true
  }

  /** The address just resolved becomes the last local (or remote) one and goes into the record. */
  private keep(port: number, local: boolean): boolean {
    const addr = this.found
    const v4 = this.foundV4
    const id = this.foundId
    if (local) {
      this.lastLocalAddr = addr
      this.lastLocalV4 = v4
      this.lastLocalId = id
    } else {
      this.lastRemoteAddr = addr
      this.lastRemoteV4 = v4
      this.lastRemoteId = id
    }
    return this.setAddr(addr, v4, port, local, id)
  }

  /** An address (null: IPv4 with value `v4`) into the record: as an accessor's string to be, or made now. */
  private setAddr(addr: string | null, v4: number, port: number, local: boolean, id: number): boolean {
    const rec = this.rec
    const lazy = rec === this.lazyRec ? this.lazyRec : null
    if (local) {
      if (lazy) {
        lazy.local = addr
        lazy.localV4 = v4
      } else rec.localAddr = addr ?? quadString(v4)
      rec.localPort = port
      rec.localAddrId = id
    } else {
      if (lazy) {
        lazy.remote = addr
        lazy.remoteV4 = v4
      } else rec.remoteAddr = addr ?? quadString(v4)
      rec.remotePort = port
      rec.remoteAddrId = id
    }
    return true
  }
}

/** Non-negative decimal in buf[s, e), or -1 when empty or not all digits. */
function digits(buf: Buffer, s: number, e: number): number {
  if (e <= s || e - s > 9) return -1
  let v = 0
  for (let i = s; i < e; i++) {
    const d = buf[i]! - 48
    if (d < 0 || d > 9) return -1
    v = v * 10 + d
  }
  return v
}
