/**
 * Windows event log files (`.evtx`), read directly: every record becomes an event with its record id,
 * time created (UTC), provider, event id, level, computer and event data, as the `tcpip-events`
 * exports of the same log would give (the message of an event without rendering info is its data
 * values, as in `wevtutil qe /f:xml`). Damage is counted by unit (chunk or record) with a reason.
 */
import type {BinaryFormat, BinaryReadOptions, ByteSource} from '../shared/binary.js'
import {levelName} from '../shared/events-common.js'
import type {EventRecord, LineParser, Parser, RecordSink} from '../types.js'
import {ChunkXml} from './binxml.js'
import {CHUNK_SIZE, chunksAt, FILE_MAGIC, HEADER_SIZE, readChunk, readFileHeader, type RecordOut} from './file.js'

/** Chunks read at most (a 16 GiB log); a size field cannot make the reader loop longer. */
const MAX_CHUNKS = 262_144
const BLOCK_CHUNKS = 16

function detectBytes(head: Buffer): number {
  if (head.length < 8 || head.toString('latin1', 0, 8) !== FILE_MAGIC) return 0
  return head.length >= 128 && head.readUInt32LE(32) === 128 ? 1 : 0.9
}

async function read(source: ByteSource, sink: RecordSink, options: BinaryReadOptions): Promise<void> {
  const header = readFileHeader(await source.read(0, HEADER_SIZE))
  if (header === null) sink.skip(1, 'damaged', 'no evtx file header (ElfFile); chunks read where found')
  else {
    sink.note('view', `evtx ${header.version}`)
    if (header.flags & 1) sink.note('dirty', 'yes (copied from a live system: the header was not flushed)')
  }
  const out = new EvtxOutput(sink)
  const xml = new ChunkXml(Buffer.alloc(0))
  const bad = {header: 0, data: 0}
  let chunks = 0
  const total = Math.min(MAX_CHUNKS, Math.ceil(Math.max(0, source.size - HEADER_SIZE) / CHUNK_SIZE))
  let block: Buffer = Buffer.alloc(0)
  let blockFirst = 0
  for (let i = 0; i < total; i++) {
    if (options.signal?.aborted) break
    if (i - blockFirst >= BLOCK_CHUNKS || i === 0) {
      // Chunks are fetched BLOCK_CHUNKS at a time (1 MiB): fewer reads, memory still flat.
      block = await chunksAt(source, i, Math.min(BLOCK_CHUNKS, total - i))
      blockFirst = i
    }
    const chunk = block.subarray((i - blockFirst) * CHUNK_SIZE, (i - blockFirst + 1) * CHUNK_SIZE)
    if (chunk.length === 0) break
    const r = readChunk(chunk, xml, (rec) => out.record(rec, i))
    if (r.state === 'empty') continue
    if (r.state !== 'ok') {
      const why = r.state === 'cut' ? 'the input ends inside its header' : `bad magic ${JSON.stringify(chunk.toString('latin1', 0, 8))}`
      sink.skip(i + 1, r.state === 'cut' ? 'truncated' : 'damaged', `chunk ${i}: ${why}; not read`)
      continue
    }
    chunks++
    if (!r.headerChecksumOk) bad.header++
    if (!r.dataChecksumOk) bad.data++
  }
  sink.note('chunks', String(chunks))
  if (header && !header.checksumOk) sink.note('headerChecksum', 'bad (the file header CRC32 does not match; read anyway)')
  if (bad.header || bad.data)
    sink.note('checksumErrors', `${bad.header} chunk header(s), ${bad.data} chunk record area(s) of ${chunks}; records read where their structure holds`)
  out.finish()
}

/** Turns records into events; notes the computers met. */
class EvtxOutput {
  private ordinal = 0
  private readonly computers: string[] = []

  constructor(private readonly sink: RecordSink) {}

  record(r: RecordOut, chunk: number): void {
    const line = ++this.ordinal
    if (!r.ok) {
      this.sink.skip(line, r.reason, `chunk ${chunk}: ${r.why}`)
      return
    }
    const f = r.fields
    if (f.computer && this.computers.length < 16 && !this.computers.includes(f.computer)) {
      if (this.computers.length === 0) this.sink.note('host', f.computer)
      this.computers.push(f.computer)
    }
    const rec: EventRecord = {
      id: f.eventId,
      source: f.provider,
      time: f.time ?? r.written,
      level: f.level === null ? null : levelName(f.level),
      computer: f.computer,
      message: f.dataValues
        .filter((d) => d.trim() !== '')
        .join(', ')
        .trim(),
      pid: null,
      line,
      recordId: r.recordId,
      data: f.data,
    }
    this.sink.event(rec)
  }

  finish(): void {
    if (this.computers.length > 1) this.sink.note('computers', this.computers.join(', '))
  }
}

export const evtxFormat: BinaryFormat = {detectBytes, read}

/** Text never goes here: a binary format's line parser skips everything. */
const refuse = (sink: RecordSink): LineParser => ({
  line: (text, no) => sink.skip(no, 'binary', text),
  end: () => {},
})

export const evtxParser: Parser = {
  id: 'evtx',
  description: 'Windows event log file (.evtx): records with provider, event id, level, computer and event data',
  detect: () => 0,
  create: (sink) => refuse(sink),
  binary: evtxFormat,
}
