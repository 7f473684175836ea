/**
 * Writes `.evtx` event log files from event descriptions, following the format (MS-EVEN6): file header,
 * 64 KiB chunks with CRC32s, records, and binary XML with template definitions (resident on first use
 * in a chunk, referenced by offset after) and substitution values. For tests and the bench; the reader
 * never depends on it.
 */
import {crc32} from 'node:zlib'

export type SynthEvent = {
  recordId?: number
  /** Time created, ms since the epoch (UTC). */
  time: number
  provider: string
  eventId: number
  qualifiers?: number
  /** 1 critical, 2 error, 3 warning, 4 information. */
  level: number
  computer: string
  /** `<Data Name=…>` values in order. */
  data?: Readonly<Record<string, string>>
  /** Write the EventData as nested binary XML in a substitution (as many real logs do), not in the template. */
  nested?: boolean
}

export type WrittenRecord = {chunk: number; offset: number; size: number; recordId: number}
export type WrittenLog = {buf: Buffer; records: WrittenRecord[]; chunks: number}

const HEADER = 4096
const CHUNK = 65536
const CHUNK_HEADER = 512
const EVENT_NS = 'http://schemas.microsoft.com/win/2004/08/events/event'

const T_STRING = 0x01
const T_UINT8 = 0x04
const T_UINT16 = 0x06
const T_UINT64 = 0x0a
const T_FILETIME = 0x11
const T_BINXML = 0x21

/** One chunk being written: a cursor, and the names and templates it already holds. */
class ChunkWriter {
  readonly buf = Buffer.alloc(CHUNK)
  pos = CHUNK_HEADER
  private readonly names = new Map<string, number>()
  readonly templates = new Map<string, number>()

  u8(v: number): void {
    this.buf[this.pos++] = v
  }
  u16(v: number): void {
    this.buf.writeUInt16LE(v, this.pos)
    this.pos += 2
  }
  u32(v: number): void {
    this.buf.writeUInt32LE(v >>> 0, this.pos)
    this.pos += 4
  }
  u64(v: number): void {
    this.buf.writeBigUInt64LE(BigInt(v), this.pos)
    this.pos += 8
  }
  utf16(s: string): void {
    this.pos += this.buf.write(s, this.pos, 'utf16le')
  }

  /** A name reference: inline (defined here) the first time in this chunk, by offset after. */
  name(s: string): void {
    const known = this.names.get(s)
    if (known !== undefined) return this.u32(known)
    const at = this.pos + 4
    this.names.set(s, at)
    this.u32(at)
    this.u32(0)
    let hash = 0
    for (let i = 0; i < s.length; i++) hash = (hash * 65599 + s.charCodeAt(i)) >>> 0
    this.u16(hash & 0xffff)
    this.u16(s.length)
    this.utf16(s)
    this.u16(0)
  }

  /** `<name attrs…>` then `content()` then `</name>` (or `<name …/>` without content). */
  element(name: string, attrs: readonly [string, () => void][], content?: () => void): void {
    const start = this.pos
    this.u8(attrs.length ? 0x41 : 0x01)
    this.u16(0xffff)
    const sizeAt = this.pos
    this.u32(0)
    this.name(name)
    if (attrs.length) {
      const listAt = this.pos
      this.u32(0)
      attrs.forEach(([attr, value], i) => {
        this.u8(i < attrs.length - 1 ? 0x46 : 0x06)
        this.name(attr)
        value()
      })
      this.buf.writeUInt32LE(this.pos - listAt - 4, listAt)
    }
    if (content) {
      this.u8(0x02)
      content()
      this.u8(0x04)
    } else this.u8(0x03)
    this.buf.writeUInt32LE(this.pos - sizeAt - 4, sizeAt)
    void start
  }

  text(s: string): void {
    this.u8(0x05)
    this.u8(T_STRING)
    this.u16(s.length)
    this.utf16(s)
  }

  sub(index: number, type: number): void {
    this.u8(0x0e)
    this.u16(index)
    this.u8(type)
  }

  fragmentHeader(): void {
    this.u32(0x0001010f)
  }
}

/** Substitution values of one record: (type, bytes) in index order. */
type Values = [number, Buffer][]

const str = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf16le')
const u8 = (v: number) => Buffer.from([v])
const u16 = (v: number) => {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(v)
  return b
}
const u64 = (v: number) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(v))
  return b
}
const fileTime = (ms: number) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(Math.round(ms)) * 10000n + 116444736000000000n)
  return b
}

/** The template body: the System section from substitutions 0–6, then EventData (named Data or a nested fragment). */
function writeTemplate(w: ChunkWriter, e: SynthEvent): void {
  const names = Object.keys(e.data ?? {})
  w.fragmentHeader()
  w.element('Event', [['xmlns', () => w.text(EVENT_NS)]], () => {
    w.element('System', [], () => {
      w.element('Provider', [['Name', () => w.sub(0, T_STRING)]])
      w.element('EventID', [['Qualifiers', () => w.sub(1, T_UINT16)]], () => w.sub(2, T_UINT16))
      w.element('Level', [], () => w.sub(3, T_UINT8))
      w.element('TimeCreated', [['SystemTime', () => w.sub(4, T_FILETIME)]])
      w.element('EventRecordID', [], () => w.sub(5, T_UINT64))
      w.element('Computer', [], () => w.sub(6, T_STRING))
    })
    if (e.nested) w.sub(7, T_BINXML)
    else w.element('EventData', [], () => names.forEach((n, i) => w.element('Data', [['Name', () => w.text(n)]], () => w.sub(7 + i, T_STRING))))
  })
  w.u8(0x00)
}

/** `<EventData><Data Name=…>value</Data>…</EventData>` as a fragment with its values inline. */
function nestedEventData(e: SynthEvent, w: ChunkWriter, at: number): Buffer {
  // Written at the position it will have in the chunk, so its names can be defined inline there.
  const start = w.pos
  w.pos = at
  w.fragmentHeader()
  w.element('EventData', [], () => {
    for (const [n, v] of Object.entries(e.data ?? {})) w.element('Data', [['Name', () => w.text(n)]], () => w.text(v))
  })
  w.u8(0x00)
  const out = Buffer.from(w.buf.subarray(at, w.pos))
  w.pos = start
  return out
}

function shapeKey(e: SynthEvent): string {
  return e.nested ? '\0nested' : Object.keys(e.data ?? {}).join('\0')
}

/** Writes one record at the chunk's cursor; false (cursor unchanged) when it does not fit. */
function writeRecord(w: ChunkWriter, e: SynthEvent, recordId: number): boolean {
  const start = w.pos
  try {
    w.u32(0x00002a2a)
    w.u32(0)
    w.u64(recordId)
    w.buf.set(fileTime(e.time), w.pos)
    w.pos += 8
    w.fragmentHeader()
    const key = shapeKey(e)
    let def = w.templates.get(key)
    w.u8(0x0c)
    w.u8(0x01)
    w.u32(0x1000 + w.templates.size)
    const resident = def === undefined
    if (resident) def = w.pos + 4
    w.u32(def!)
    if (resident) {
      w.templates.set(key, def!)
      w.u32(0)
      w.pos += 16
      const sizeAt = w.pos
      w.u32(0)
      writeTemplate(w, e)
      w.buf.writeUInt32LE(w.pos - sizeAt - 4, sizeAt)
    }
    const values: Values = [
      [T_STRING, str(e.provider)],
      [T_UINT16, u16(e.qualifiers ?? 0)],
      [T_UINT16, u16(e.eventId)],
      [T_UINT8, u8(e.level)],
      [T_FILETIME, fileTime(e.time)],
      [T_UINT64, u64(recordId)],
      [T_STRING, str(e.computer)],
    ]
    const valuesAt = w.pos + 4 + (values.length + (e.nested ? 1 : Object.keys(e.data ?? {}).length)) * 4
    if (e.nested) values.push([T_BINXML, nestedEventData(e, w, valuesAt + values.reduce((a, [, b]) => a + b.length, 0))])
    else for (const v of Object.values(e.data ?? {})) values.push([T_STRING, str(v)])
    w.u32(values.length)
    for (const [type, bytes] of values) {
      w.u16(bytes.length)
      w.u8(type)
      w.u8(0)
    }
    for (const [, bytes] of values) {
      w.buf.set(bytes, w.pos)
      w.pos += bytes.length
    }
    w.u8(0x00)
    const size = w.pos + 4 - start
    w.u32(size)
    w.buf.writeUInt32LE(size, start + 4)
    return true
  } catch (error) {
    if (!(error instanceof RangeError)) throw error
    w.buf.fill(0, start)
    w.pos = start
    return false
  }
}

/** Sets the chunk header (record range, free space, CRC32s) for records [first, last]. */
function sealChunk(w: ChunkWriter, first: number, last: number, lastOffset: number): void {
  const b = w.buf
  b.write('ElfChnk\0', 0, 'latin1')
  b.writeBigUInt64LE(BigInt(first), 8)
  b.writeBigUInt64LE(BigInt(last), 16)
  b.writeBigUInt64LE(BigInt(first), 24)
  b.writeBigUInt64LE(BigInt(last), 32)
  b.writeUInt32LE(128, 40)
  b.writeUInt32LE(lastOffset, 44)
  b.writeUInt32LE(w.pos, 48)
  fixChunkChecksums(b)
}

/** Recomputes a chunk's record-area and header CRC32s (after a test edited its bytes). */
export function fixChunkChecksums(chunk: Buffer): void {
  const free = chunk.readUInt32LE(48)
  chunk.writeUInt32LE(crc32(chunk.subarray(CHUNK_HEADER, Math.min(free, chunk.length))), 52)
  chunk.writeUInt32LE(crc32(chunk.subarray(128, CHUNK_HEADER), crc32(chunk.subarray(0, 120))), 124)
}

/** Recomputes every checksum of a log built by {@link writeEvtx}. */
export function fixChecksums(buf: Buffer): void {
  if (buf.length >= 128) buf.writeUInt32LE(crc32(buf.subarray(0, 120)), 124)
  for (let off = HEADER; off + CHUNK_HEADER <= buf.length; off += CHUNK) {
    if (buf.toString('latin1', off, off + 8) === 'ElfChnk\0') fixChunkChecksums(buf.subarray(off, Math.min(off + CHUNK, buf.length)))
  }
}

/** Builds a log of `events` (record ids from 1 unless given), chunks filled in order. */
export function writeEvtx(events: Iterable<SynthEvent>, o: {maxRecordsPerChunk?: number} = {}): WrittenLog {
  const chunks: Buffer[] = []
  const records: WrittenRecord[] = []
  const parts = evtxChunks(events, o, records)
  let next = parts.next()
  for (; !next.done; next = parts.next()) chunks.push(next.value)
  return {buf: Buffer.concat([next.value, ...chunks]), records, chunks: chunks.length}
}

/**
 * The chunks of a log of `events`, one at a time (a large log never sits in memory); returns the file
 * header, which goes before them. `records` (optional) gets where each record went.
 */
export function* evtxChunks(events: Iterable<SynthEvent>, o: {maxRecordsPerChunk?: number} = {}, records: WrittenRecord[] = []): Generator<Buffer, Buffer> {
  let count = 0
  let w = new ChunkWriter()
  let first = -1
  let last = -1
  let lastOffset = 0
  let n = 0
  let nextId = 1
  const seal = (): Buffer | null => {
    if (first < 0) return null
    sealChunk(w, first, last, lastOffset)
    const done = w.buf
    w = new ChunkWriter()
    first = -1
    n = 0
    count++
    return done
  }
  for (const e of events) {
    const id = e.recordId ?? nextId
    nextId = id + 1
    if (n >= (o.maxRecordsPerChunk ?? Infinity)) yield seal()!
    let at = w.pos
    if (!writeRecord(w, e, id)) {
      const full = seal()
      if (full) yield full
      at = w.pos
      if (!writeRecord(w, e, id)) throw new Error(`event ${id} does not fit in a chunk`)
    }
    records.push({chunk: count, offset: at, size: w.pos - at, recordId: id})
    if (first < 0) first = id
    last = id
    lastOffset = at
    n++
  }
  const end = seal()
  if (end) yield end
  const header = Buffer.alloc(HEADER)
  header.write('ElfFile\0', 0, 'latin1')
  header.writeBigUInt64LE(0n, 8)
  header.writeBigUInt64LE(BigInt(Math.max(0, count - 1)), 16)
  header.writeBigUInt64LE(BigInt(nextId), 24)
  header.writeUInt32LE(128, 32)
  header.writeUInt16LE(1, 36)
  header.writeUInt16LE(3, 38)
  header.writeUInt16LE(HEADER, 40)
  header.writeUInt16LE(count & 0xffff, 42)
  header.writeUInt32LE(crc32(header.subarray(0, 120)), 124)
  return header
}

/** A System log of about `mb` megabytes for the bench: Tcpip, service and kernel events with data. */
export function* benchEvents(mb: number): Generator<SynthEvent> {
  const t0 = Date.UTC(2023, 2, 10, 0, 0, 0)
  // About 237 bytes per record on average over the mix below.
  const total = Math.round((mb * 1e6) / 237)
  for (let i = 0; i < total; i++) {
    const time = t0 + i * 250
    const kind = i % 3
    if (kind === 0) yield tcpipEvent(i % 2 ? 4231 : 4227, time, 'APP02')
    else if (kind === 1)
      yield {time, provider: 'Service Control Manager', eventId: 7036, qualifiers: 16384, level: 4, computer: 'APP02', data: {param1: `Service ${i % 97}`, param2: i % 2 ? 'running' : 'stopped'}, nested: true}
    else
      yield {
        time,
        provider: 'Microsoft-Windows-Kernel-General',
        eventId: 16,
        level: 4,
        computer: 'APP02',
        data: {HiveName: `\\??\\C:\\Users\\svc${i % 13}\\ntuser.dat`, HiveNameLength: '38', KeysUpdated: String(i % 50), DirtyPages: String(i % 7), Reason: '1'},
      }
  }
}

/** A Tcpip event as Windows logs it in the System log (4227 TIME_WAIT collision, 4231/4266 ports exhausted). */
export function tcpipEvent(eventId: 4227 | 4231 | 4266, time: number, computer: string): SynthEvent {
  return {time, provider: 'Tcpip', eventId, qualifiers: eventId === 4227 ? 32768 : 0, level: 3, computer, data: {}}
}
