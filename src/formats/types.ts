/**
 * Record kinds every evidence parser produces, and the parser contract.
 *
 * Parsers push records into a {@link RecordSink} instead of yielding objects: the netstat hot path
 * handles millions of rows, so a parser may reuse one mutable record object for every row. A sink
 * must copy what it keeps; it must never retain the record object itself.
 */

import type {BinaryFormat} from './shared/binary.js'
import type {RowMemo} from './netstat/row-memo.js'

/** Format ids are a contract (`inputs[].format` in the JSON documents): extend, never rename. */
export type FormatId =
  | 'netstat'
  | 'get-nettcpconnection'
  | 'netsh-dynamicport'
  | 'netsh-excludedportrange'
  | 'handle-exe'
  | 'process-list'
  | 'windbg-process'
  | 'windbg-handle'
  | 'volatility-netscan'
  | 'volatility-handles'
  | 'volatility-pslist'
  | 'tcpip-events'
  | 'netsh-trace'
  | 'minidump'
  | 'kernel-dump'
  | 'evtx'

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

export type SnapshotMark = {
  /** 1-based source line where the snapshot starts (its stamp or title line). */
  line: number
  /** The stamp as written, when the snapshot has one. */
  stamp: string | null
}

/**
 * Where parsers push what they read. Calls arrive in source order. Objects passed in may be reused
 * by the parser after the call returns.
 */
export interface RecordSink {
  /** A new snapshot begins; records that follow belong to it until the next call. */
  snapshot(mark: SnapshotMark): void
  /** Sets the time of every snapshot started so far (index = snapshot order), once, at the end. */
  snapshotTimes(times: readonly (WallTime | null)[], dateOrder: DateOrder | null): void
  /** The last snapshot was cut short (loop killed mid-write). */
  truncatedSnapshot(): void
  connection(record: ConnectionRecord): void
  /**
   * Optional fast path: the connection row that `memo` holds as `entry` (restored, it is the record
   * `connection` would get), from source line `line`. Parsers with a row memo call it instead of
   * `connection` for rows repeated from the snapshot before, when the sink has it.
   */
  carried?(memo: RowMemo, entry: number, line: number): void
  process(record: ProcessRecord): void
  handle(record: HandleRecord): void
  handleCount(record: HandleCountRecord): void
  event(record: EventRecord): void
  portRange(record: PortRangeRecord): void
  /** A line that was read and is part of the format's structure (blank, title, header, stamp, owner line). */
  structure(count?: number): void
  skip(line: number, reason: SkipReason, raw: string): void
  /** Facts about the input (`host`, `view` (`-anob`, `table`, `csv`…)) for inspect and the report. */
  note(key: string, value: string): void
}

/**
 * A consumer's table of address ids. Ids are renumbered now and then (a busy server meets millions of
 * peers): a parser that keeps ids across rows remaps them through `remap` (old id → new id, -1 for
 * dropped) whenever `epoch` has changed, which happens only when a snapshot starts.
 */
export interface AddressIds {
  /** `fresh`: the string was made for this address alone (not a slice of a larger one), so it need not be copied. */
  id(value: string, fresh?: boolean): number
  /** The id of the IPv4 address with 32-bit value `n` (a canonical dotted quad), or -1 when it has none yet. */
  v4Id(n: number): number
  /** A new id for an address not in the table (`value` shares no memory with a larger string; `v4` its value or -1). */
  add(value: string, v4: number): number
  value(id: number): string | null
  readonly epoch: number
  readonly remap: Int32Array
}

export type ParseOptions = {
  /** Forced day/month order for ambiguous stamps (`--date-order`). */
  readonly dateOrder?: DateOrder | undefined
  /** Display path of the input, for messages. */
  readonly path: string
  /** Decodes bytes of a line in the input's encoding (given when lines arrive as bytes). */
  readonly decodeBytes?: ((buf: Buffer, start: number, end: number) => string) | undefined
  /** The consumer's address table: parsers that can, put each address's id in the record (no lookup by string downstream). */
  readonly addressIds?: AddressIds | undefined
  /** Look up rows repeated from the previous snapshot instead of parsing them again (default true; off in tests that compare). */
  readonly rowMemo?: boolean | undefined
}

/** Feeds one input's lines, in order, to a parser. */
export interface LineParser {
  /**
   * One line without its terminator. `line` is 1-based. Lines arrive in order with no gaps.
   * Never throws on bad input: unreadable lines go to `sink.skip`.
   */
  line(text: string, line: number): void
  /** The input is complete. `endedWithNewline` is false when the last line had no terminator. */
  end(endedWithNewline: boolean): void
  /**
   * Optional fast path: one line as bytes [start, end) of `buf` in an ASCII-compatible encoding
   * (terminator removed), decodable with `ParseOptions.decodeBytes`. `buf` is reused after the call.
   * Parsers without it get decoded strings.
   */
  lineBytes?(buf: Buffer, start: number, end: number, line: number): void
  /**
   * Optional fast path over many lines, offered at each line start of a `lineBytes` stream: takes the
   * whole lines at buf[start…end) it can (each exactly as `lineBytes` would have), sets `runEnd` to
   * where the first line not taken starts, and returns the number taken (0: go on line by line).
   * Lines it takes are at most 256 bytes, so a line-length cap of 512 or more never applies to them.
   */
  rowRun?(buf: Buffer, start: number, end: number, line: number): number
  readonly runEnd?: number
  /**
   * Optional: the buffer the following `lineBytes`/`rowRun` calls read from, told once before them (and
   * null after them), so a parser can hand all of it to a compiled kernel at once.
   */
  bytes?(buf: Buffer | null): void
}

export type Parser = {
  readonly id: FormatId
  readonly description: string
  /**
   * Confidence 0..1 that `sample` (the input's first ≤64 KiB, decoded, possibly ending mid-line)
   * is this format. Pure, synchronous, cheap, total (never throws; a property test holds every parser
   * to it, and the registry still reads a throw as confidence 0).
   */
  detect(sample: string): number
  create(sink: RecordSink, options: ParseOptions): LineParser
  /** Set for formats read as bytes (event logs, dumps): detected on the first bytes and read through random access. */
  readonly binary?: BinaryFormat
  /**
   * Formats that are documents rather than lines (`ConvertTo-Json -Compress`, wevtutil's XML) may hold a
   * whole document on one line: their line cap is raised to this size cap (in characters).
   */
  readonly documentChars?: number
}

/** The size cap of a one-line JSON or XML document (the parser still caps each object or event it keeps). */
export const DOCUMENT_CHARS = 256 * 1024 ** 2
