/**
 * The domain's record types: what every format yields and the model, analysis and renderers read.
 * They belong to no format (formats/ imports them from here; model/, analysis/ and report/ never
 * import formats/ for them).
 */

/** The registry's format ids (a contract: `inputs[].format`); the list itself is formats/registry.ts. */
export type {FormatId} from '../formats/registry.js'

/** The kinds of record a format yields: the RecordSink method each goes to, and `inputs[].byKind`'s keys. */
export type RecordKind = 'connection' | 'process' | 'handle' | 'handleCount' | 'event' | 'portRange'

export type Proto = 'TCP' | 'UDP'

/** Canonical English TCP states (netstat spelling). UDP rows have no state (null). */
export const TCP_STATES = [
  'LISTENING',
  'ESTABLISHED',
  'TIME_WAIT',
  'CLOSE_WAIT',
  'BOUND',
  'SYN_SENT',
  'SYN_RECEIVED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'LAST_ACK',
  'CLOSING',
  'CLOSED',
  'DELETE_TCB',
] as const
export type TcpState = (typeof TCP_STATES)[number]

/**
 * A point in time as written in the source, without a zone: milliseconds of the wall-clock time
 * read as if it were UTC (`Date.UTC(y, mo, d, h, mi, s, ms)`). Rendered as ISO 8601 without a zone.
 */
export type WallTime = number

export type DateOrder = 'dmy' | 'mdy' | 'ymd'

/** One connection / endpoint row (netstat, Get-NetTCPConnection, Volatility netscan…). */
export type ConnectionRecord = {
  proto: Proto
  /** Address as written, IPv6 without brackets and with any zone id (`fe80::1%12`); `*` when unknown. */
  localAddr: string
  /** -1 when not numeric (resolved service names in `netstat -a` without `-n`). */
  localPort: number
  remoteAddr: string
  /** -1 for `*` or a resolved service name. */
  remotePort: number
  /** null for UDP rows, which have no state. */
  state: TcpState | null
  /** -1 when the source has no PID column or the value is unreadable. */
  pid: number
  /** Image name when the source names the owner (`-b`, Volatility Owner), else null. */
  process: string | null
  /** Creation time of the socket when the source gives one (Volatility `Created`, CreationTime). */
  created: WallTime | null
  /** 1-based source line of the row. */
  line: number
  /** Ids of the two addresses in `ParseOptions.addressIds`, when the parser was given that table (else absent or -1). */
  localAddrId?: number
  remoteAddrId?: number
  /**
   * A row memo's entry for these exact row bytes (netstat loops, see `RowMemo`), -1 or absent when none:
   * `memoAux[memoEntry * MEMO_AUX …]` are words a sink may use to cache what it derives from the row.
   * Valid until the next snapshot starts.
   */
  memoEntry?: number
  memoAux?: Int32Array
}

/** A process seen in a process list (Get-Process, tasklist, `!process`, pslist). */
export type ProcessRecord = {
  pid: number
  name: string | null
  ppid: number | null
  /** Handle count as reported by the source (null when the source has none or it was unreadable). */
  handles: number | null
  threads: number | null
  created: WallTime | null
  exited: WallTime | null
  line: number
}

/** One handle from a per-handle listing (handle.exe -a/-p, Volatility handles, `!handle`). */
export type HandleRecord = {
  pid: number
  process: string | null
  /** Object type as written (`File`, `Section`, …). */
  type: string
  /** Object name, with doubled CSV backslashes already undone. Empty when unnamed. */
  name: string
  /** True when this handle is a socket (`\Device\Afd` or `\Device\Afd\Endpoint`). */
  afd: boolean
  line: number
}

/** A per-process handle total stated by the source (handle.exe -s -p, `Total handles:`). */
export type HandleCountRecord = {
  pid: number | null
  process: string | null
  total: number
  /** Socket (AFD) handles when the source tells them apart, else null. */
  afd: number | null
  /** Handles per object type when the source lists them (`-s`). */
  byType: Readonly<Record<string, number>> | null
  line: number
}

/** A Windows event relevant to port exhaustion (Tcpip 4227/4231, AFD bind failures…). */
export type EventRecord = {
  id: number
  source: string
  time: WallTime | null
  level: string | null
  computer: string | null
  message: string
  /** Process named by the event (netsh trace AFD events), when any. */
  pid: number | null
  line: number
  /** The log's record id (`.evtx`). */
  recordId?: number
  /** Event data as name/value pairs (`.evtx`: `<Data Name=…>`, UserData leaves); a new object per record. */
  data?: Readonly<Record<string, string>>
}

/** A dynamic (ephemeral) port range from `netsh int ipv4|ipv6 show dynamicport tcp|udp`. */
export type PortRangeRecord = {
  proto: Proto
  family: 'ipv4' | 'ipv6' | null
  start: number
  count: number
  line: number
  /** A block of `show excludedportrange`: ports no dynamic allocation may use (absent: the dynamic range). */
  excluded?: boolean
  /** Excluded by an administrator (`*` in netsh's listing), not reserved by a service at run time. */
  administered?: boolean
}

/** Why a line was not turned into a record. Every non-structural line gets one of these. */
export type SkipReason =
  | 'junk' // unrecognised text (error messages, prompts, unrelated output)
  | 'truncated' // a row cut off at the end of the input or by a `... truncated` marker
  | 'elision' // `...` / `[snip]` lines an author put in place of rows
  | 'ping' // output of the loop's PING delay
  | 'echo' // cmd ECHO lines and prompts written by the loop
  | 'malformed' // looks like a row of this format but a field does not parse
  | 'too-long' // a line over the line-length cap
  | 'binary' // control characters / undecodable bytes
  | 'damaged' // binary input: a unit (record, chunk) whose structure does not hold (offsets, sizes, magic)
  | 'checksum' // binary input: a unit that could not be read in an area whose checksum also fails
