import type {ConnectionRecord, ProcessRecord, Proto, TcpState, WallTime} from '../types.js'
import {quadString} from './dotted-quad.js'

/** A fresh connection record with every field unknown; parsers reuse one per input (sinks copy what they keep, with `copyConnection`). */
export const newConnection = (): ConnectionRecord => ({
  proto: 'TCP',
  localAddr: '*',
  localPort: -1,
  remoteAddr: '*',
  remotePort: -1,
  state: null,
  pid: -1,
  process: null,
  created: null,
  line: 0,
})

/** A fresh process record with every field unknown (PID 0 until set); parsers reuse one per input. */
export const newProcess = (pid = 0): ProcessRecord => ({
  pid,
  name: null,
  ppid: null,
  handles: null,
  threads: null,
  created: null,
  exited: null,
  line: 0,
})

/**
 * The record a netstat parser reads every row into: its IPv4 address strings are made from their 32-bit
 * values only when read (a busy server's fresh peers cost no string unless a consumer asks). The
 * accessors live on the class, so the record keeps V8's fast property layout (own accessors put an
 * object in dictionary mode, which slows every field access on the per-row path). Spreading it copies
 * `local`/`localV4`… rather than `localAddr`: sinks that keep rows copy them with {@link copyConnection}.
 */
export class LazyAddressRecord implements ConnectionRecord {
  proto: Proto = 'TCP'
  /** The local address string, or null for an IPv4 address not made yet (its value is `localV4`). */
  local: string | null = '*'
  localV4 = -1
  localPort = -1
  remote: string | null = '*'
  remoteV4 = -1
  remotePort = -1
  state: TcpState | null = null
  pid = -1
  process: string | null = null
  created: WallTime | null = null
  line = 0
  localAddrId = -1
  remoteAddrId = -1
  memoEntry = -1
  memoAux: Int32Array = new Int32Array(0)

  get localAddr(): string {
    return this.local ?? (this.local = quadString(this.localV4))
  }

  set localAddr(v: string) {
    this.local = v
  }

  get remoteAddr(): string {
    return this.remote ?? (this.remote = quadString(this.remoteV4))
  }

  set remoteAddr(v: string) {
    this.remote = v
  }

  /** The row as a plain record (what spreading a plain parser's record gives, without the memo's words). */
  plain(): ConnectionRecord {
    const {proto, localAddr, localPort, remoteAddr, remotePort, state, pid, process, created, line, localAddrId, remoteAddrId} = this
    return {proto, localAddr, localPort, remoteAddr, remotePort, state, pid, process, created, line, localAddrId, remoteAddrId}
  }
}

/** A copy of a connection record a sink keeps (parsers reuse theirs), without the row memo's words. */
export function copyConnection(record: ConnectionRecord): ConnectionRecord {
  const {memoEntry: _entry, memoAux: _aux, ...row} = record instanceof LazyAddressRecord ? record.plain() : record
  return row
}
