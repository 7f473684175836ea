import {existsSync, readFileSync} from 'node:fs'
import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {ingest} from '../../src/input/ingest.js'
import {inspectInputs, runAnalysis} from '../../src/pipeline.js'
import {bufferSource, type ByteSource} from '../../src/formats/shared/binary.js'
import {CollectingSink} from '../../src/formats/shared/collect.js'
import {evtxFormat} from '../../src/formats/evtx/index.js'
import {valueText, VT} from '../../src/formats/evtx/values.js'
import type {EventRecord} from '../../src/formats/types.js'
import {fixChecksums, type SynthEvent, tcpipEvent, writeEvtx} from '../helpers/evtx-writer.js'
import {loopText, tempFiles} from '../helpers/run.js'
import {zipBuffer} from '../helpers/zip.js'

const t0 = Date.UTC(2023, 2, 10, 9, 0, 0)

async function read(buf: Buffer | ByteSource) {
  const sink = new CollectingSink()
  await evtxFormat.read(Buffer.isBuffer(buf) ? bufferSource(buf) : buf, sink, {path: 'System.evtx'})
  const events = sink.result.records.filter((r) => r.kind === 'event') as unknown as EventRecord[]
  return {events, skipped: sink.result.skipped, notes: sink.result.notes}
}

const scm = (i: number, nested = false): SynthEvent => ({
  time: t0 + i * 1000,
  provider: 'Service Control Manager',
  eventId: 7036,
  qualifiers: 16384,
  level: 4,
  computer: 'APP02',
  data: {param1: `Service ${i}`, param2: 'running'},
  nested,
})

describe('evtx reader', () => {
  it('reads record id, time, provider, event id, level, computer and event data from templates and nested fragments', async () => {
    const log = writeEvtx([tcpipEvent(4227, t0, 'APP02'), scm(1), tcpipEvent(4231, t0 + 2000, 'APP02'), scm(3, true), tcpipEvent(4266, t0 + 4000, 'APP02'), scm(5)])
    const {events, skipped, notes} = await read(log.buf)
    expect(skipped).toEqual([])
    expect(events.map((e) => [e.recordId, e.source, e.id, e.level, e.computer, e.time])).toEqual([
      [1, 'Tcpip', 4227, 'Warning', 'APP02', t0],
      [2, 'Service Control Manager', 7036, 'Information', 'APP02', t0 + 1000],
      [3, 'Tcpip', 4231, 'Warning', 'APP02', t0 + 2000],
      [4, 'Service Control Manager', 7036, 'Information', 'APP02', t0 + 3000],
      [5, 'Tcpip', 4266, 'Warning', 'APP02', t0 + 4000],
      [6, 'Service Control Manager', 7036, 'Information', 'APP02', t0 + 5000],
    ])
    expect(events[3]!.data).toEqual({param1: 'Service 3', param2: 'running'})
    expect(events[5]!.message).toBe('Service 5, running')
    expect(notes).toMatchObject({host: 'APP02', chunks: '1'})
  })

  it('reads chunk by chunk, with templates and names defined again in each chunk', async () => {
    const events = Array.from({length: 50}, (_, i) => (i % 2 ? scm(i, i % 4 === 1) : tcpipEvent(4231, t0 + i * 1000, i < 25 ? 'APP02' : 'APP03')))
    const log = writeEvtx(events, {maxRecordsPerChunk: 7})
    expect(log.chunks).toBe(8)
    const reads: number[] = []
    const source = bufferSource(log.buf)
    const counting: ByteSource = {size: source.size, read: (offset, length) => (reads.push(length), source.read(offset, length))}
    const got = await read(counting)
    expect(got.events.map((e) => e.recordId)).toEqual(events.map((_, i) => i + 1))
    // A block of chunks at a time, never the whole log.
    expect(Math.max(...reads)).toBeLessThanOrEqual(16 * 65536)
    expect(reads.length).toBeGreaterThan(1)
    expect(got.notes).toMatchObject({host: 'APP02', computers: 'APP02, APP03', chunks: '8'})
  })

  it('decodes every value type safely', () => {
    const b = (hex: string) => Buffer.from(hex.replace(/ /g, ''), 'hex')
    const v = (hex: string, type: number) => valueText(b(hex), 0, b(hex).length, type)
    expect(v('410042000000', VT.string)).toBe('AB')
    expect(v('414200', VT.ansiString)).toBe('AB')
    expect([v('ff', VT.int8), v('ff', VT.uint8), v('feff', VT.int16), v('feff', VT.uint16)]).toEqual(['-1', '255', '-2', '65534'])
    expect([v('ffffffff', VT.int32), v('ffffffff', VT.uint32), v('ffffffffffffffff', VT.int64), v('ffffffffffffffff', VT.uint64)]).toEqual([
      '-1',
      '4294967295',
      '-1',
      '18446744073709551615',
    ])
    expect([v('0000c03f', VT.real32), v('000000000000f83f', VT.real64), v('01000000', VT.bool), v('00000000', VT.bool)]).toEqual(['1.5', '1.5', 'true', 'false'])
    expect(v('d1085955d7a69546 8e1e26931d2012f4', VT.guid)).toBe('{555908D1-A6D7-4695-8E1E-26931D2012F4}')
    expect([v('10000000', VT.sizeT), v('1000000000000000', VT.sizeT)]).toEqual(['0x00000010', '0x0000000000000010'])
    expect([v('09020000', VT.hex32), v('0000000000000080', VT.hex64)]).toEqual(['0x209', '0x8000000000000000'])
    const ft = Buffer.alloc(8)
    ft.writeBigUInt64LE(BigInt(t0) * 10000n + 116444736000000000n + 1234n)
    expect(valueText(ft, 0, 8, VT.fileTime)).toBe('2023-03-10T09:00:00.0001234Z')
    expect(v('e707 0300 0500 0a00 0e00 0500 0c00 5401', VT.sysTime)).toBe('2023-03-10T14:05:12.340Z')
    expect(v('010500000000000515000000 01000000 02000000 03000000 e9030000', VT.sid)).toBe('S-1-5-21-1-2-3-1001')
    expect(v('00ff', VT.binary)).toBe('00FF')
    expect(v('41000000420000000000', VT.string | 0x80)).toBe('A, B')
    expect(v('0100 0200', VT.uint16 | 0x80)).toBe('1, 2')
    // Too short for its type: hex, never a read past the value.
    expect([v('01', VT.uint32), v('0102', VT.guid), v('0105', VT.sid), v('01', VT.fileTime)]).toEqual(['01', '0102', '0105', '01'])
  })

  describe('damage', () => {
    const build = () => writeEvtx([tcpipEvent(4231, t0, 'APP02'), scm(1), scm(2), tcpipEvent(4227, t0 + 3000, 'APP02'), scm(4)], {maxRecordsPerChunk: 3})
    const chunkAt = (i: number) => 4096 + i * 65536

    it('reads records of a chunk whose checksums are bad, and notes it', async () => {
      const log = build()
      log.buf[chunkAt(0) + 124] ^= 0xff
      log.buf[chunkAt(1) + 52] ^= 0xff
      const {events, skipped, notes} = await read(log.buf)
      expect(events).toHaveLength(5)
      expect(skipped).toEqual([])
      // The record-area CRC is itself inside the header the header CRC covers: chunk 1 fails both.
      expect(notes.checksumErrors).toMatch(/^2 chunk header\(s\), 1 chunk record area\(s\) of 2/)
    })

    it('skips a chunk with a bad magic and reads the next', async () => {
      const log = build()
      log.buf.write('XXXXXXXX', chunkAt(0), 'latin1')
      const {events, skipped} = await read(log.buf)
      expect(events.map((e) => e.recordId)).toEqual([4, 5])
      expect(skipped.map((s) => [s.line, s.reason])).toEqual([[1, 'damaged']])
      expect(skipped[0]!.raw).toMatch(/chunk 0: bad magic/)
    })

    it('counts a record cut at the end of the input as truncated', async () => {
      const log = build()
      const last = log.records.at(-1)!
      const cut = log.buf.subarray(0, chunkAt(last.chunk) + last.offset + 40)
      const {events, skipped} = await read(cut)
      expect(events.map((e) => e.recordId)).toEqual([1, 2, 3, 4])
      expect(skipped.map((s) => s.reason)).toEqual(['truncated'])
    })

    it('stops a chunk at a record with a zero data size, with the reason, as other readers do', async () => {
      const log = build()
      const r = log.records[1]!
      log.buf.writeUInt32LE(0, chunkAt(r.chunk) + r.offset + 4)
      fixChecksums(log.buf)
      const {events, skipped} = await read(log.buf)
      expect(events.map((e) => e.recordId)).toEqual([1, 4, 5])
      expect(skipped).toHaveLength(1)
      expect(skipped[0]).toMatchObject({reason: 'damaged'})
      expect(skipped[0]!.raw).toMatch(/size 0 \(empty data\)/)
    })

    it('skips a record whose template refers to itself, and one whose name offset is absurd', async () => {
      const log = build()
      // Record 1 defines the Tcpip template inline; point its body at an instance of itself.
      const r = log.records[0]!
      const base = chunkAt(r.chunk)
      const instance = base + r.offset + 24 + 4
      const def = log.buf.readUInt32LE(instance + 6)
      log.buf.set([0x0c, 0x01, 0, 0, 0, 0], base + def + 24)
      log.buf.writeUInt32LE(def, base + def + 24 + 6)
      // Record 5 (chunk 1, resident template): its first element's name offset far past the chunk.
      const r5 = log.records[4]!
      const def5 = log.buf.readUInt32LE(chunkAt(r5.chunk) + r5.offset + 24 + 4 + 6)
      log.buf.writeUInt32LE(0xfffff0, chunkAt(r5.chunk) + def5 + 24 + 4 + 7)
      fixChecksums(log.buf)
      const {events, skipped} = await read(log.buf)
      expect(events.map((e) => e.recordId)).toEqual([2, 3, 4])
      expect(skipped.map((s) => [s.line, s.reason])).toEqual([
        [1, 'damaged'],
        [5, 'damaged'],
      ])
      expect(skipped[0]!.raw).toMatch(/refers to itself|unexpected token/)
      expect(skipped[1]!.raw).toMatch(/outside the chunk/)
    })

    it('says so when the file header is missing, and reads the chunks', async () => {
      const log = build()
      log.buf.fill(0, 0, 8)
      const {events, skipped} = await read(log.buf)
      expect(events).toHaveLength(5)
      expect(skipped.map((s) => s.reason)).toEqual(['damaged'])
    })
  })
})

describe('evtx through the pipeline', () => {
  const events = [tcpipEvent(4231, t0 + 30 * 60_000, 'APP02'), scm(1), tcpipEvent(4227, t0 + 31 * 60_000, 'APP02')]
  const evtx = () => writeEvtx(events).buf

  /** The same events as `wevtutil qe System /f:xml` writes them, one per line. */
  const xmlExport = () =>
    events
      .map((e) => {
        const data = Object.entries(e.data ?? {})
          .map(([k, v]) => `<Data Name='${k}'>${v}</Data>`)
          .join('')
        const time = new Date(e.time).toISOString().replace('Z', '0000Z')
        return `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='${e.provider}'/><EventID Qualifiers='${e.qualifiers ?? 0}'>${e.eventId}</EventID><Level>${e.level}</Level><TimeCreated SystemTime='${time}'/><Computer>${e.computer}</Computer></System><EventData>${data}</EventData></Event>`
      })
      .join('\r\n')

  const netstat = () =>
    loopText({
      seed: 3,
      snapshots: 60,
      interval: 60,
      start: new Date(t0),
      dateStyle: 'iso',
      processes: [{pid: 4312, name: 'LeakyAgent.exe', behaviour: {kind: 'leak', state: 'ESTABLISHED', perHour: 600}}],
    })

  it('puts Tcpip events from System.evtx on the loop timeline exactly as their XML export does', async () => {
    const loop = netstat()
    const [a, b] = tempFiles({'System.evtx': evtx(), 'netstat.txt': loop})
    const [c, d] = tempFiles({'System.xml': xmlExport(), 'netstat.txt': loop})
    const fromEvtx = (await runAnalysis([a!, b!], {})).document
    const fromXml = (await runAnalysis([c!, d!], {})).document
    const strip = (doc: typeof fromEvtx) => doc.events.map(({path: _p, line: _l, ...e}) => e)
    expect(fromEvtx.inputs.map((i) => i.format).sort()).toEqual(['evtx', 'netstat'])
    expect(strip(fromEvtx).map((e) => e.id)).toEqual([4231, 4227])
    expect(strip(fromEvtx)).toEqual(strip(fromXml))
    expect(fromEvtx.host).toBe(fromXml.host)
    expect(fromEvtx.host).toBe('APP02')
    const range = fromEvtx.timeRange!
    for (const e of fromEvtx.events) expect(e.time! >= range.start && e.time! <= range.end).toBe(true)
  })

  it('reads an evtx inside a zip and inside gzip by its magic bytes, with byEvent counts', async () => {
    const zip = await zipBuffer([{name: 'logs/System.bin', data: evtx()}])
    const [z, g, f] = tempFiles({'upload.zip': zip, 'System.gz': gzipSync(evtx()), 'System.evtx': evtx()})
    const doc = await inspectInputs([z!, g!, f!], {})
    for (const input of doc.inputs) {
      expect(input).toMatchObject({format: 'evtx', records: 3, error: null, byEvent: {'Tcpip/4231': 1, 'Tcpip/4227': 1, 'Service Control Manager/7036': 1}})
    }
    const sha = doc.inputs.map((i) => i.sha256)
    expect(new Set(sha).size).toBe(1)
    expect(doc.inputs[0]!.bytes).toBe(evtx().length)
  })

  it('refuses a binary log read into memory over the limit with one line naming why', async () => {
    const [g] = tempFiles({'System.evtx.gz': gzipSync(evtx())})
    const limits = {maxEntryBytes: 1 << 30, maxTotalBytes: 1 << 30, maxRatio: 1e6, maxEntries: 10, maxNestedBytes: 50_000}
    const [input] = await ingest([g!], {limits}, () => null)
    expect(input!.format).toBeNull()
    expect(input!.error).toMatch(/^evtx input over the 50000-byte limit .*extract it/)
  })

  it('stops at --max-bytes and says the results are partial', async () => {
    const big = writeEvtx(Array.from({length: 40}, (_, i) => scm(i)), {maxRecordsPerChunk: 10}).buf
    const [f] = tempFiles({'System.evtx': big})
    const doc = await inspectInputs([f!], {maxBytes: 4096 + 65536 * 2})
    expect(doc.inputs[0]).toMatchObject({format: 'evtx', records: 20})
    expect(doc.inputs[0]!.error).toMatch(/--max-bytes/)
  })
})

const REAL = new URL('../../../shared/corpus/real/evtx/', import.meta.url)
const realExpect = new URL('../../../shared/corpus/real/expect.json', import.meta.url)

describe('real logs (../shared/corpus/real/evtx)', () => {
  it.skipIf(!existsSync(realExpect))('give the record counts and event histograms two reference readers agree on (skipped: ../shared not found)', async () => {
    const expected = JSON.parse(readFileSync(realExpect, 'utf8')) as Record<string, {records: number; byEvent?: Record<string, number>}>
    const files = Object.keys(expected).filter((k) => k.startsWith('evtx/'))
    expect(files.length).toBeGreaterThan(0)
    const doc = await inspectInputs(
      files.map((f) => new URL(f.slice(5), REAL).pathname),
      {},
    )
    for (const [i, f] of files.sort().entries()) {
      const input = doc.inputs.find((x) => x.path.endsWith(f.slice(5)))!
      expect(input, `${f} (#${i})`).toMatchObject({format: 'evtx', records: expected[f]!.records})
      for (const [k, v] of Object.entries(expected[f]!.byEvent ?? {})) expect(input.byEvent?.[k], `${f} ${k}`).toBe(v)
    }
  })
})
