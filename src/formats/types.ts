/**
 * The format contract: what a format module is (`Format`) and how its parser hands records on
 * (`RecordSink`, `LineParser`). The records themselves are the model's (src/model/records.ts).
 *
 * Parsers push records into a {@link RecordSink} instead of yielding objects: the netstat hot path
 * handles millions of rows, so a parser may reuse one mutable record object for every row. A sink
 * must copy what it keeps; it must never retain the record object itself.
 */

import type {BinaryFormat} from './shared/binary.js'
import type {ConnectionRecord, DateOrder, EventRecord, HandleCountRecord, HandleRecord, PortRangeRecord, ProcessRecord, RecordKind, SkipReason, WallTime} from '../model/records.js'
import type {FormatId} from './registry.js'
import type {RowLane} from './netstat/lane.js'

/** Format ids are a contract (`inputs[].format` in the JSON documents): extend, never rename. Derived from the registry. */
export type {FormatId} from './registry.js'

// The record types are the model's (src/model/records.ts); re-exported for the formats that name them here.
export type {ConnectionRecord, DateOrder, EventRecord, HandleCountRecord, HandleRecord, PortRangeRecord, ProcessRecord, Proto, RecordKind, SkipReason, TcpState, WallTime} from '../model/records.js'
export {TCP_STATES} from '../model/records.js'

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
  /** A row; the record is reused by the parser: a sink that keeps it copies it with `copyConnection` (formats/shared/records.ts). */
  connection(record: ConnectionRecord): void
  /**
   * Optional fast path: the connection row that `memo` holds as `entry` (restored, it is the record
   * `connection` would get), from source line `line`. Parsers with a row memo call it instead of
   * `connection` for rows repeated from the snapshot before, when the sink has it. `process`: the image an
   * owner line (`-b`) named for the row (the record's `process`), else null or absent.
   */
  carried?(memo: MemoRows, entry: number, line: number, process?: string | null): void
  /**
   * Optional: a lane that takes plain netstat rows in runs and aggregates them itself (src/formats/netstat/lane.ts),
   * when every row this sink gets only goes there, or only counts them when rows are only counted (`inspect`,
   * counting-lane.ts); null or absent otherwise. `rowsTaken` is then told, after each run, how many rows per
   * state it took (counters the sink keeps per row).
   */
  rowLane?(): RowLane | null
  rowsTaken?(counts: Int32Array): void
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
 * What a sink reads of a row memo (a netstat loop keeps one: `netstat/row-memo.ts`): per entry,
 * `MEMO_FIELDS` field words and `MEMO_AUX` words the sink may cache its own results in, and the
 * record the entry stands for.
 */
export interface MemoRows {
  readonly fields: Float64Array
  readonly aux: Int32Array
  restore(entry: number, rec: ConnectionRecord): void
}

/**
 * A consumer's table of address ids. An IPv4 address's id is V4_BASE (model/address-kinds.ts) + its 32-bit
 * value, with no table entry (a parser that reads the value from the bytes needs no lookup); other ids are
 * renumbered now and then (a busy server meets millions of peers): a parser that keeps ids across rows
 * remaps them through `remap` (old id → new id, -1 for dropped) whenever `epoch` has changed, which
 * happens only when a snapshot starts.
 */
export interface AddressIds {
  /** `fresh`: the string was made for this address alone (not a slice of a larger one), so it need not be copied. */
  id(value: string, fresh?: boolean): number
  /**
   * A new id for an address not in the table (`value` shares no memory with a larger string; `v4` its value
   * or -1). An IPv4 address may come without its string (null): `value` makes it when first asked for.
   */
  add(value: string | null, v4: number): number
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

/**
 * An example input of a format, read by one generic test (`test/formats/samples.test.ts`), as lnav
 * checks each format's `sample` lines: detection picks the format, parsing yields only the declared
 * record kinds (all of them over the samples), and every line is accounted for.
 */
export type FormatSample =
  /** Lines as the producing command writes them (no terminators). */
  | {readonly name: string; readonly lines: readonly string[]}
  /** A committed fixture, relative to the repository root (`corpus/<id>/…`): binary formats, other encodings. */
  | {readonly name: string; readonly file: string}

/**
 * A format module: one object that describes the format and reads it (as jc's parsers carry `info`
 * and lnav's format files describe themselves). The registry (`registry.ts`) lists them; `--format`,
 * `portleak formats`, docs/formats.md and the schema enums are derived from that list.
 */
export type Format<Id extends string = string> = {
  /** The `--format` id and `inputs[].format` value: a contract, never renamed. */
  readonly id: Id
  /** A short name (`netstat table or loop`). */
  readonly title: string
  /** Version of this module's reading (semver-like): bump the minor when it reads more, the major when records change. */
  readonly version: string
  /** What it reads: the variants, views and languages. */
  readonly description: string
  /** Commands whose output this is, as a support engineer would run them. */
  readonly commands: readonly string[]
  /** The record kinds it yields (the sink methods it calls). */
  readonly records: readonly RecordKind[]
  readonly samples: readonly FormatSample[]
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

/** A registered format (its id one of the registry's). */
export type Parser = Format<FormatId>

/** Declares a format module, keeping its id's literal type (the registry derives `FormatId` from it). */
export const defineFormat = <const Id extends string>(format: Format<Id>): Format<Id> => format

/** The size cap of a one-line JSON or XML document (the parser still caps each object or event it keeps). */
export const DOCUMENT_CHARS = 256 * 1024 ** 2
