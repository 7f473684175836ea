import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {handleFindings} from '../../src/analysis/corroborate.js'
import {CaseBuilder} from '../../src/model/case-builder.js'
import {DEFAULT_RANGE} from '../../src/model/slots.js'
import {SummarySink} from '../../src/model/summary.js'
import {buildTimeline} from '../../src/model/timeline.js'
import {bufferSource} from '../../src/formats/shared/binary.js'
import {CollectingSink} from '../../src/formats/shared/collect.js'
import {detectMinidump, minidumpParser} from '../../src/formats/minidump/index.js'
import {dumpFacts} from '../../src/report/facts.js'
import {renderInspect} from '../../src/report/inspect-text.js'
import {type BuiltHandle, buildMinidump} from '../helpers/dump-writer.js'

const REASONS = ['junk', 'truncated', 'elision', 'ping', 'echo', 'malformed', 'too-long', 'binary']

async function read(bytes: Buffer) {
  const sink = new CollectingSink()
  await minidumpParser.binary!.read(bufferSource(bytes), sink, {path: 'built.dmp'})
  const r = sink.result
  return {
    ...r,
    process: r.records.filter((x) => x.kind === 'process'),
    handles: r.records.filter((x) => x.kind === 'handle'),
  }
}

const SOCKETS: BuiltHandle[] = [
  {type: 'File', name: '\\Device\\Afd\\Endpoint'},
  {type: 'File', name: '\\Device\\Afd\\Endpoint'},
  {type: 'File', name: '\\Device\\Afd'},
  {type: 'File', name: '\\Device\\Afd\\AsyncConnectHlp'},
  {type: 'File', name: 'C:\\ProgramData\\Leaky\\agent.log'},
  {type: 'Event', name: null},
  {type: 'Key', name: '\\REGISTRY\\MACHINE\\SOFTWARE\\Leaky'},
  {type: null, name: null},
]

describe('minidump reader (built dumps)', () => {
  it('reads a dump as one handle listing of one process at the dump time', async () => {
    const r = await read(buildMinidump({pid: 7312, image: 'C:\\Program Files\\Leaky\\LeakyAgent.exe', threads: 9, handles: SOCKETS, time: 1_767_225_600, created: 1_767_222_000}).bytes)
    expect(r.snapshots).toEqual([{line: 1, stamp: '2026-01-01T00:00:00.000Z', time: Date.UTC(2026, 0, 1)}])
    expect(r.process).toEqual([expect.objectContaining({pid: 7312, name: 'LeakyAgent.exe', threads: 9, created: Date.UTC(2025, 11, 31, 23), snapshot: 0})])
    expect(r.handles).toHaveLength(SOCKETS.length)
    expect(r.handles.every((h) => h.pid === 7312 && h.process === 'LeakyAgent.exe' && h.snapshot === 0)).toBe(true)
    expect(r.handles.filter((h) => h.afd).map((h) => h.name)).toEqual(['\\Device\\Afd\\Endpoint', '\\Device\\Afd\\Endpoint', '\\Device\\Afd'])
    expect(r.handles.map((h) => h.type)).toEqual(['File', 'File', 'File', 'File', 'File', 'Event', 'Key', ''])
    expect(r.notes).toMatchObject({
      pid: '7312',
      image: 'C:\\Program Files\\Leaky\\LeakyAgent.exe',
      threads: '9',
      handles: '8',
      afdHandles: '3',
      handleTypes: 'File 5, (no type name) 1, Event 1, Key 1',
      os: 'Windows 10.0.20348 x64',
      osBuild: '20348',
      dumpFlags: '0x00000004 (WithHandleData)',
    })
    expect(r.notes.handleStream).toMatch(/^present: 8 of 8 handles read \(MINIDUMP_HANDLE_DESCRIPTOR_2\)$/)
    expect(r.skipped).toEqual([])
  })

  it('reads 32-byte MINIDUMP_HANDLE_DESCRIPTOR and 40-byte _2 descriptors alike', async () => {
    const a = await read(buildMinidump({handles: SOCKETS, descriptorSize: 32}).bytes)
    const b = await read(buildMinidump({handles: SOCKETS, descriptorSize: 40}).bytes)
    expect(a.handles).toEqual(b.handles)
    expect(a.notes.handleStream).toContain('(MINIDUMP_HANDLE_DESCRIPTOR)')
  })

  it('says when the header flags do not announce a handle stream it has', async () => {
    const r = await read(buildMinidump({handles: SOCKETS, flags: 0x200000}).bytes)
    expect(r.handles).toHaveLength(SOCKETS.length)
    expect(r.notes.handleStream).toMatch(/the header flags do not announce it$/)
  })

  it('says a dump without a handle stream has none and how to write one', async () => {
    const r = await read(buildMinidump({handles: null, pid: 88}).bytes)
    expect(r.handles).toEqual([])
    expect(r.process).toEqual([expect.objectContaining({pid: 88, handles: null})])
    expect(r.notes.handleStream).toMatch(/^absent: .*procdump -ma .*procdump -mh/)
    expect(r.notes.handles).toBeUndefined()
  })

  it('gives a high-handle finding for 12,000 \\Device\\Afd handles in one process', async () => {
    const handles = Array.from({length: 12_000}, () => ({type: 'File', name: '\\Device\\Afd'}))
    const c = new CaseBuilder(null)
    const sink = c.sinkFor('w3wp.dmp', 'minidump')
    await minidumpParser.binary!.read(bufferSource(buildMinidump({pid: 5120, image: 'C:\\Windows\\System32\\inetsrv\\w3wp.exe', handles}).bytes), sink, {path: 'w3wp.dmp'})
    sink.finish()
    expect(c.handles).toEqual([expect.objectContaining({pid: 5120, name: 'w3wp.exe', total: 12_000, afd: 12_000})])
    const tl = buildTimeline(c, DEFAULT_RANGE, () => true)
    const findings = handleFindings(tl.timeline.handles, (t) => t)
    expect(findings).toEqual([expect.objectContaining({kind: 'high-handle-count', severity: 'high', pid: 5120, process: 'w3wp.exe', peak: 12_000})])
    expect(findings[0]!.evidence).toEqual([{path: 'w3wp.dmp', line: 1, time: '2026-01-01T00:00:00.000'}])
  })

  it('leaves out missing streams without guessing', async () => {
    const r = await read(buildMinidump({omit: ['system', 'misc', 'modules', 'threads'], handles: SOCKETS.slice(0, 2)}).bytes)
    expect(r.process).toEqual([expect.objectContaining({pid: -1, name: null, threads: null, created: null})])
    expect(r.handles).toHaveLength(2)
    expect(r.notes.os).toBeUndefined()
    expect(r.notes.pid).toBeUndefined()
  })

  it('reads what it can of a file cut anywhere, and says it was cut', async () => {
    const built = buildMinidump({handles: SOCKETS})
    const h = built.streams.handles!
    for (let cut = 0; cut <= built.bytes.length; cut += 7) {
      const r = await read(built.bytes.subarray(0, cut))
      expect(r.handles.length).toBeLessThanOrEqual(SOCKETS.length)
      for (const s of r.skipped) expect(REASONS).toContain(s.reason)
      if (cut < 32) expect(r.skipped).toEqual([{line: 1, reason: 'truncated', raw: `minidump header: only ${cut} bytes`}])
      if (cut > h.rva + 16 && cut < h.rva + h.size) expect(r.skipped.some((s) => s.line === h.ordinal && s.reason === 'truncated')).toBe(true)
    }
  })

  it('turns away a file that is not a minidump', async () => {
    const bytes = buildMinidump().bytes
    bytes.write('XDMP', 0, 'latin1')
    const r = await read(bytes)
    expect(r.records).toEqual([])
    expect(r.snapshots).toEqual([])
    expect(r.skipped).toEqual([{line: 1, reason: 'malformed', raw: 'minidump header: no MDMP signature'}])
  })

  it('caps absurd counts to what the file holds', async () => {
    const built = buildMinidump({handles: SOCKETS})
    const b = Buffer.from(built.bytes)
    b.writeUInt32LE(0xffffffff, 8)
    b.writeUInt32LE(0xffffffff, built.streams.handles!.rva + 8)
    b.writeUInt32LE(0xffffffff, built.streams.threads!.rva)
    b.writeUInt32LE(0xffffffff, built.streams.modules!.rva)
    const r = await read(b)
    expect(r.handles).toHaveLength(SOCKETS.length)
    expect(r.notes.handleStream).toMatch(/^present: 8 of 4294967295 handles read/)
    expect(r.notes.threads).toBe('5')
    expect(r.notes.modules).toBe('3')
    expect(r.skipped.map((s) => s.raw)).toEqual([
      expect.stringMatching(/^stream directory: 4294967295 streams declared/),
      expect.stringMatching(/^ModuleList stream: 4294967295 modules declared, 3 fit$/),
      expect.stringMatching(/^thread list stream: 4294967295 threads declared, 5 fit$/),
      expect.stringMatching(/^HandleData stream: 4294967295 handles declared, 8 readable$/),
    ])
  })

  it('reads RVAs past the end as absent and overlapping or self-referencing RVAs without looping', async () => {
    const built = buildMinidump({handles: SOCKETS})
    const b = Buffer.from(built.bytes)
    const h = built.streams.handles!
    b.writeUInt32LE(0xfffffff0, h.rva + 16 + 12) // first handle's name past the end
    b.writeUInt32LE(h.rva + 16 + 40, h.rva + 16 + 40 + 12) // second handle's name: its own descriptor
    b.writeUInt32LE(0, built.streams.modules!.rva + 4 + 20) // main image's name: the header
    b.writeUInt32LE(0, built.directory + 12 * (h.ordinal - 1) + 8) // handle stream at offset 0 (the header)
    const r = await read(b)
    expect(r.handles.length).toBeLessThanOrEqual(SOCKETS.length)
    const again = Buffer.from(built.bytes)
    again.writeUInt32LE(0xfffffff0, h.rva + 16 + 12)
    again.writeUInt32LE(h.rva + 16 + 40, h.rva + 16 + 40 + 12)
    const r2 = await read(again)
    expect(r2.handles.map((x) => x.type)).toEqual(SOCKETS.map((s) => s.type ?? ''))
    expect(r2.handles[0]!.name).toBe('')
    expect(r2.handles[0]!.afd).toBe(false)
  })

  it('reads names that overlap one another no further than the size of the file', async () => {
    // 4,000 descriptors whose names all start at different bytes of one run of 0xFF (each "64 KiB long").
    const n = 4000
    const built = buildMinidump({handles: Array.from({length: n}, () => ({type: 'File', name: 'x'}))})
    const h = built.streams.handles!
    const b = Buffer.concat([built.bytes, Buffer.alloc(80_000, 0xff)])
    for (let i = 0; i < n; i++) b.writeUInt32LE(built.bytes.length + 2 * i, h.rva + 16 + 40 * i + 12)
    const r = await read(b)
    expect(r.handles).toHaveLength(n)
    expect(r.handles.filter((x) => x.name === '').length).toBeGreaterThan(n / 2)
    expect(r.skipped).toEqual([{line: h.ordinal, reason: 'malformed', raw: 'HandleData stream: its names overlap past the size of the file; the rest were read without names'}])
  })

  it('rejects a handle stream whose header sizes make no sense', async () => {
    const built = buildMinidump({handles: SOCKETS})
    const b = Buffer.from(built.bytes)
    b.writeUInt32LE(3, built.streams.handles!.rva + 4)
    const r = await read(b)
    expect(r.handles).toEqual([])
    expect(r.skipped).toEqual([{line: built.streams.handles!.ordinal, reason: 'malformed', raw: 'HandleData stream: header size 16, descriptor size 3'}])
  })

  it('stops reading handles when the signal aborts', async () => {
    const handles = Array.from({length: 5000}, () => ({type: 'File', name: '\\Device\\Afd'}))
    const sink = new CollectingSink()
    await minidumpParser.binary!.read(bufferSource(buildMinidump({handles}).bytes), sink, {path: 'x.dmp', signal: AbortSignal.abort()})
    expect(sink.result.records.filter((x) => x.kind === 'handle')).toEqual([])
  })

  it('shows its facts in inspect', async () => {
    const s = new SummarySink('w3wp.dmp', 'minidump')
    await minidumpParser.binary!.read(bufferSource(buildMinidump({handles: SOCKETS}).bytes), s, {path: 'w3wp.dmp'})
    const text = renderInspect([s.summary({encoding: 'binary', bytes: 1, sha256: '', lines: 0})])
    expect(text).toContain('  afdHandles: 3\n')
    expect(text).toContain('  handleTypes: File 5, (no type name) 1, Event 1, Key 1\n')
    expect(text).toContain('  kinds handle 8, process 1\n')
  })

  it('sums up the dump in one line for the report', async () => {
    const s = new SummarySink('w3wp.dmp', 'minidump')
    await minidumpParser.binary!.read(bufferSource(buildMinidump({pid: 5120, handles: SOCKETS.slice(0, 3)}).bytes), s, {path: 'w3wp.dmp'})
    expect(dumpFacts(s.summary({encoding: 'binary', bytes: 1, sha256: '', lines: 0}))).toBe(
      '4 records; C:\\Program Files\\Leaky\\LeakyAgent.exe; PID 5120; build 20348; written 2026-01-01T00:00:00.000Z; ' +
        'handle stream present: 3 of 3 handles read (MINIDUMP_HANDLE_DESCRIPTOR_2); File 3',
    )
  })
})

describe('minidump properties', () => {
  const built = buildMinidump({handles: SOCKETS, descriptorSize: 32})
  test.prop([fc.nat({max: built.bytes.length}), fc.array(fc.tuple(fc.nat(), fc.nat({max: 255})), {maxLength: 24})], {numRuns: 300})(
    'read never throws and ends on cut and bit-flipped dumps',
    async (cut, flips) => {
      const b = Buffer.from(built.bytes.subarray(0, cut))
      for (const [at, v] of flips) if (b.length) b[at % b.length] = v
      const r = await read(b)
      expect(r.handles.length).toBeLessThanOrEqual(b.length)
      for (const s of r.skipped) expect(REASONS).toContain(s.reason)
    },
  )

  test.prop([fc.uint8Array({maxLength: 64})], {numRuns: 300})('detectBytes is total and in [0, 1]', (bytes) => {
    const c = detectMinidump(Buffer.from(bytes))
    expect(c >= 0 && c <= 1).toBe(true)
  })

  it('detects by the signature and version', () => {
    expect(detectMinidump(built.bytes.subarray(0, 64))).toBe(1)
    expect(detectMinidump(Buffer.from('MDMP'))).toBe(0.8)
    expect(detectMinidump(Buffer.from('MDM'))).toBe(0)
    expect(detectMinidump(Buffer.from('PAGEDU64'))).toBe(0)
  })
})

const REAL = fileURLToPath(new URL('../../../shared/corpus/real/dumps-binary/', import.meta.url))
const real = (name: string) => ({path: REAL + name, ok: existsSync(REAL + name)})

describe('real minidumps (../shared/corpus/real/dumps-binary, facts from its SOURCES.md)', () => {
  const xp = real('winxp-test-app.dmp')
  it.skipIf(!xp.ok)(`Windows XP test_app.exe ${xp.ok ? '' : '(skipped: file missing)'}`, async () => {
    const r = await read(readFileSync(xp.path))
    expect(r.process).toEqual([expect.objectContaining({pid: 3932, name: 'test_app.exe', threads: 2})])
    expect(r.snapshots[0]!.time).toBe(Date.parse('2007-02-14T19:13:55Z'))
    expect(r.notes).toMatchObject({osBuild: '2600', os: expect.stringMatching(/^Windows 5\.1\.2600 /), modules: '13', image: 'c:\\test_app.exe'})
    expect(r.notes.handleStream).toMatch(/^absent: /)
    expect(r.handles).toEqual([])
  })

  const w10 = real('win10-crashtest.dmp')
  it.skipIf(!w10.ok)(`Windows 10 CrashTest.exe ${w10.ok ? '' : '(skipped: file missing)'}`, async () => {
    const r = await read(readFileSync(w10.path))
    expect(r.process).toEqual([expect.objectContaining({pid: 6256, name: 'CrashTest.exe', threads: 6})])
    expect(r.snapshots[0]!.time).toBe(Date.parse('2018-09-21T17:00:46Z'))
    expect(r.notes).toMatchObject({osBuild: '17134', os: expect.stringMatching(/^Windows 10\.0\.17134 x64/), modules: '31'})
    expect(r.notes.handleStream).toMatch(/^absent: /)
  })

  const w11 = real('win11-tiny-handles.dmp')
  it.skipIf(!w11.ok)(`Windows 11 tiny.exe with 147 handles ${w11.ok ? '' : '(skipped: file missing)'}`, async () => {
    const r = await read(readFileSync(w11.path))
    expect(r.process).toEqual([expect.objectContaining({pid: 15444, name: 'tiny.exe'})])
    expect(r.snapshots[0]!.time).toBe(Date.parse('2021-11-01T21:55:43Z'))
    expect(r.notes).toMatchObject({osBuild: '22000', image: 'C:\\src\\crashpad\\tiny.exe', handles: '147', afdHandles: '0'})
    const byType: Record<string, number> = {}
    for (const h of r.handles) byType[h.type] = (byType[h.type] ?? 0) + 1
    expect(byType).toEqual({
      File: 11, Section: 31, Event: 18, Semaphore: 12, Key: 8, WaitCompletionPacket: 6, IRTimer: 4, IoCompletion: 3,
      Directory: 2, TpWorkerFactory: 2, WindowStation: 2, 'ALPC Port': 1, Desktop: 1, '': 46,
    })
    expect(r.handles.every((h) => h.name === '' && h.pid === 15444)).toBe(true)
    expect(r.notes.handleStream).toMatch(/the header flags do not announce it$/)
  })
})
