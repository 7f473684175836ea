import {execFileSync} from 'node:child_process'
import {symlinkSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {DEFAULT_ARCHIVE_LIMITS} from '../../src/input/archive.js'
import {ingest} from '../../src/input/ingest.js'
import type {InputSummary} from '../../src/model/types.js'
import {zoneOffsetMinutes} from '../../src/model/time-zone.js'
import {inspectInputs, runAnalysis} from '../../src/pipeline.js'
import {loopText} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'
import {tarBuffer} from '../helpers/tar.js'
import {overlapEntries, zipBuffer} from '../helpers/zip.js'
import {inspectPieces, netstat, snapshot, tempTree} from './helpers.js'

const NETSH = '\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n'

describe('crafted zips', () => {
  it('refuses entries that point at another entry\'s data, reading the first once', async () => {
    const same = netstat(50)
    const zip = overlapEntries(await zipBuffer(Array.from({length: 40}, (_, i) => ({name: `n${String(i).padStart(2, '0')}.txt`, data: same}))))
    const dir = tempTree({'upload.zip': zip})
    const inputs = await ingest([dir], {}, () => null)
    const read = inputs.filter((s) => s.format === 'netstat')
    expect(read).toHaveLength(1)
    expect(inputs.find((s) => s.path === `${dir}/upload.zip`)?.error).toMatch(/^39 entries \(n\d\d\.txt first\) share or overlap another entry's data/)
  })

  it('keeps every entry of an honest zip (no false overlap)', async () => {
    const zip = await zipBuffer(Array.from({length: 30}, (_, i) => ({name: `d/${i}.txt`, data: netstat(1 + i, 50000 + i), compress: i % 2 === 0})))
    const inputs = await ingest([tempTree({'ok.zip': zip})], {}, () => null)
    expect(inputs.filter((s) => s.error !== null)).toEqual([])
    expect(inputs).toHaveLength(30)
  })

  it('holds the whole archive to the ratio limit, though each entry is under 1 MiB', async () => {
    const zeros = Buffer.alloc(600 * 1024)
    const zip = await zipBuffer(Array.from({length: 8}, (_, i) => ({name: `z${i}.txt`, data: zeros})))
    const dir = tempTree({'small-bombs.zip': zip})
    const inputs = await ingest([dir], {limits: {...DEFAULT_ARCHIVE_LIMITS, maxRatio: 100}}, () => null)
    expect(inputs).toEqual([expect.objectContaining({path: `${dir}/small-bombs.zip`, error: expect.stringMatching(/:1 to the archive \(over 100:1\): looks like a zip bomb/)})])
  })

  it('caps an archive at a total a person would wait for (64 GiB)', () => {
    expect(DEFAULT_ARCHIVE_LIMITS.maxTotalBytes).toBeLessThanOrEqual(64 * 1024 ** 3)
  })
})

describe('flag values', () => {
  it('rejects time-zone offsets no zone has', () => {
    for (const tz of ['+99:99', '+15:00', '-12:60', '+0075']) expect(() => zoneOffsetMinutes(tz, 0)).toThrow(/out of range/)
    expect(zoneOffsetMinutes('+14:00', 0)).toBe(840)
    expect(zoneOffsetMinutes('-05:30', 0)).toBe(-330)
  })
})

describe('FIFOs whose writer stays open', () => {
  const fifoWithWriter = async (text: string) => {
    const dir = tempTree({})
    const path = join(dir, 'netstat.fifo')
    execFileSync('mkfifo', [path])
    // The writer's open waits for a reader, as `netstat -ano 5 > fifo` does; it then writes and stays open.
    const writer = open(path, 'w').then(async (fh) => {
      await fh.write(text).catch(() => null)
      return fh
    })
    return {dir, path, close: async () => (await writer).close()}
  }
  const loop = (n: number) => Array.from({length: n}, (_, i) => snapshot(`2023-03-14 10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.00`, 20)).join('')

  it.skipIf(process.platform === 'win32')('--max-bytes reads exactly that many bytes and ends', async () => {
    const f = await fifoWithWriter(loop(40))
    try {
      const [s] = (await inspectInputs([f.path], {maxBytes: 10_000})).inputs
      expect(s).toMatchObject({format: 'netstat', bytes: 10_000, error: 'stopped after 10000 bytes (--max-bytes); results are partial'})
    } finally {
      await f.close()
    }
  })

  it.skipIf(process.platform === 'win32')('an interrupt (Ctrl-C, --max-seconds) ends the read at once with what was read', async () => {
    const f = await fifoWithWriter(loop(3))
    try {
      const abort = new AbortController()
      setTimeout(() => abort.abort(), 300)
      const [s] = (await inspectInputs([f.path], {signal: abort.signal})).inputs
      expect(s).toMatchObject({format: 'netstat', error: 'interrupted; results are partial'})
      expect(s!.records).toBeGreaterThan(0)
    } finally {
      await f.close()
    }
  })

  it.skipIf(process.platform === 'win32')('lists FIFOs and link loops inside a folder as skipped, with the reason', async () => {
    const dir = tempTree({'a/netstat.txt': netstat(2)})
    execFileSync('mkfifo', [join(dir, 'a/pipe')])
    symlinkSync('loop2', join(dir, 'a/loop1'))
    symlinkSync('loop1', join(dir, 'a/loop2'))
    symlinkSync(join(dir, 'a'), join(dir, 'a/up'))
    const inputs = (await inspectInputs([dir], {})).inputs.map((s) => [s.path.slice(dir.length + 1), s.error])
    expect(inputs).toEqual([
      ['a/loop1', 'symbolic link loop; not read'],
      ['a/loop2', 'symbolic link loop; not read'],
      ['a/netstat.txt', null],
      ['a/pipe', 'FIFO (named pipe); not read (name it on the command line to read it)'],
      ['a/up', 'symbolic link to a directory; not followed'],
    ])
  })
})

describe('tar archives', () => {
  const folder = {
    'case/netsh.txt': NETSH,
    'case/netstat.txt': Array.from({length: 6}, (_, i) => snapshot(`2023-03-14 10:0${i}:00.00`, 10 + i * 5)).join(''),
    'case/notes.bin': Buffer.alloc(70 * 1024, 0),
  }
  const entries = Object.entries(folder).map(([name, data]) => ({name, data}))
  const shape = (inputs: readonly InputSummary[], prefix: string) =>
    inputs.map((s) => [s.path.slice(prefix.length), s.format, s.records, s.error === null])

  for (const [file, wrap] of [['upload.tar', (b: Buffer) => b], ['upload.tar.gz', gzipSync], ['upload.tgz', gzipSync]] as const) {
    it(`reads a ${file.slice(7)} entry by entry, as the same files in a folder`, async () => {
      const dir = tempTree({...folder, [file]: wrap(await tarBuffer(entries))})
      const fromFolder = (await inspectInputs([join(dir, 'case')], {})).inputs
      const fromTar = (await inspectInputs([join(dir, file)], {})).inputs
      expect(shape(fromTar, `${dir}/${file}!`)).toEqual(shape(fromFolder, `${dir}/`))
      expect(fromTar.find((s) => s.format === 'netstat')!.records).toBeGreaterThan(0)
    })
  }

  it('lists links and FIFOs stored in a tar as entries not read, and goes on after an entry it gives up on', async () => {
    const tarred = await tarBuffer([
      {name: 'a/', type: 'directory'},
      {name: 'a/junk.bin', data: Buffer.alloc(200 * 1024, 0)},
      {name: 'a/link.txt', type: 'symlink', linkname: '/etc/passwd'},
      {name: 'a/pipe', type: 'fifo'},
      {name: 'a/netstat.txt', data: netstat(3)},
      {name: 'a/netstat.txt', data: netstat(4)},
    ])
    const dir = tempTree({'u.tar': tarred})
    const inputs = (await inspectInputs([join(dir, 'u.tar')], {})).inputs.map((s) => [s.path.slice(dir.length + 7), s.format, s.records, s.error?.slice(0, 40) ?? null])
    expect(inputs).toEqual([
      ['a/junk.bin', null, 0, 'binary data, not a supported text format'],
      ['a/link.txt', null, 0, 'tar entry is a symlink; not read'],
      ['a/netstat.txt', 'netstat', 3, null],
      ['a/netstat.txt#2', 'netstat', 4, null],
      ['a/pipe', null, 0, 'tar entry is a fifo; not read'],
    ])
  })

  it('stops at maxEntries and names a cut .tar.gz as damaged, keeping the entries before the cut', async () => {
    const many = await tarBuffer(Array.from({length: 12}, (_, i) => ({name: `n${String(i).padStart(2, '0')}.txt`, data: netstat(2, 50000 + i * 10)})))
    const dir = tempTree({'many.tar': many, 'cut.tar.gz': gzipSync(many).subarray(0, Math.floor(gzipSync(many).length * 0.6))})
    const limited = await ingest([join(dir, 'many.tar')], {limits: {...DEFAULT_ARCHIVE_LIMITS, maxEntries: 5}}, () => null)
    expect(limited.filter((s) => s.format === 'netstat')).toHaveLength(5)
    expect(limited.find((s) => s.path === join(dir, 'many.tar'))?.error).toBe('more than 5 entries; the rest were not read')
    const cut = (await inspectInputs([join(dir, 'cut.tar.gz')], {})).inputs
    expect(cut.filter((s) => s.format === 'netstat' && s.error === null).length).toBeGreaterThan(0)
    expect(cut.some((s) => /damaged|ends early/.test(s.error ?? ''))).toBe(true)
    expect(cut.every((s) => s.format === null || s.format === 'netstat')).toBe(true)
  })
})

describe('documents on one line', () => {
  // `Get-NetTCPConnection | ConvertTo-Json -Compress` writes every connection on one line.
  const conn = (i: number) =>
    `{"LocalAddress":"10.0.0.15","LocalPort":${49152 + (i % 16000)},"RemoteAddress":"10.0.0.${20 + (i % 200)}","RemotePort":443,"State":"Established","AppliedSetting":"Internet","OwningProcess":7788,"CreationTime":"2023-03-10T14:05:01.5+01:00","OffloadState":"InHost"}`
  const oneLine = (n: number) => `[${Array.from({length: n}, (_, i) => conn(i)).join(',')}]\r\n`

  it('reads a one-line ConvertTo-Json -Compress over 1 MiB as a document', async () => {
    const text = oneLine(8000)
    expect(text.length).toBeGreaterThan(1024 ** 2)
    const [s] = (await inspectInputs([join(tempTree({'conns.json': text}), 'conns.json')], {})).inputs
    expect(s).toMatchObject({format: 'get-nettcpconnection', records: 8000, error: null})
    expect(s!.skippedByReason['too-long']).toBeUndefined()
  })

  it('reads it the same in any chunking, whatever the line cap', async () => {
    const text = Buffer.from(oneLine(3000))
    const whole = await inspectPieces([text])
    const pieces = await inspectPieces(Array.from({length: Math.ceil(text.length / 4096)}, (_, i) => text.subarray(i * 4096, (i + 1) * 4096)))
    expect(pieces).toEqual(whole)
    expect(whole).toMatchObject({records: 3000})
    const capped = await inspectPieces([text], {maxLineLength: 1000})
    expect(capped.records).toBe(3000)
  })

  it('reads wevtutil XML with every event on one line over 1 MiB', async () => {
    const event = (i: number) =>
      `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Tcpip'/><EventID Qualifiers='0'>4231</EventID><Version>0</Version><Level>3</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='2023-03-10T14:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.3400000Z'/><EventRecordID>${88000 + i}</EventRecordID><Correlation/><Execution ProcessID='4' ThreadID='9120'/><Channel>System</Channel><Computer>APP02</Computer><Security/></System><EventData></EventData></Event>`
    const text = `${Array.from({length: 2500}, (_, i) => event(i)).join('')}\r\n`
    expect(text.length).toBeGreaterThan(1024 ** 2)
    const [s] = (await inspectInputs([join(tempTree({'events.xml': text}), 'events.xml')], {})).inputs
    expect(s).toMatchObject({format: 'tcpip-events', records: 2500, error: null})
  })
})

describe('detection past leading noise', () => {
  const ping = (n: number) =>
    '\r\nPinging 127.0.0.1 with 32 bytes of data:\r\n' + 'Reply from 127.0.0.1: bytes=32 time<1ms TTL=128\r\n'.repeat(n)
  const loop = Array.from({length: 4}, (_, i) => snapshot(`2023-03-14 10:0${i}:00.00`, 5)).join('')

  it('detects a loop after more than 64 KiB of ping -t output, the same in any chunking', async () => {
    const text = Buffer.from(ping(6000) + loop)
    expect(text.indexOf('Active Connections')).toBeGreaterThan(256 * 1024)
    const whole = await inspectPieces([text])
    expect(whole).toMatchObject({format: 'netstat', records: 20, error: null})
    expect(whole.skippedByReason.ping).toBeGreaterThan(6000)
    const pieces = Array.from({length: Math.ceil(text.length / 7000)}, (_, i) => text.subarray(i * 7000, (i + 1) * 7000))
    expect(await inspectPieces(pieces)).toEqual(whole)
  })

  it('detects a short listing after ping output that fills most of a sample shorter than 64 KiB (fuzz seed 93258560 case 4574)', async () => {
    const list = 'Id      : 4312\r\nHandles : 12744\r\nCPU     : 1204.3\r\nSI      : 0\r\nName    : LeakyAgent\r\n\r\nId      : 684\r\nHandles : 1408\r\nCPU     : 30.8\r\nSI      : 0\r\nName    : lsass\r\n'
    const text = Buffer.from(ping(1200) + list)
    expect(text.length).toBeLessThan(64 * 1024)
    const plain = await inspectPieces([Buffer.from(list)])
    expect(plain.format).toBe('process-list')
    expect(await inspectPieces([text])).toMatchObject({format: 'process-list', error: null})
  })

  it('still says "not recognised" for noise with nothing after it', async () => {
    const s = await inspectPieces([Buffer.from(ping(3000))])
    expect(s).toMatchObject({format: null, error: expect.stringMatching(/^not a recognised format/)})
  })
})

describe('values no netstat writes', () => {
  it('skips rows with port 99999, IP 999.1.1.1 or zz::1 as malformed, keeping host names and real IPv6', async () => {
    const text =
      netstat(2) +
      '  TCP    10.0.0.5:99999         10.0.0.9:443           ESTABLISHED     4312\r\n' +
      '  TCP    999.1.1.1:50010        10.0.0.9:443           ESTABLISHED     4312\r\n' +
      '  TCP    10.0.0.5:50011         999.1.1.1:443          ESTABLISHED     4312\r\n' +
      '  TCP    [zz::1]:50012          [::]:0                 LISTENING       4312\r\n' +
      '  TCP    10.0.0.5:50013         10.0.0.9:70000         ESTABLISHED     4312\r\n' +
      '  TCP    [fe80::1%12]:50014     [fe80::2%12]:445       ESTABLISHED     4312\r\n' +
      '  TCP    10.0.0.5:50015         ACMEWEB07:https        ESTABLISHED     4312\r\n'
    const s = await inspectPieces([Buffer.from(text)])
    expect(s).toMatchObject({format: 'netstat', records: 4})
    expect(s.skippedByReason).toEqual({malformed: 5})
  })
})

describe('times at the end of the calendar', () => {
  it('never projects exhaustion past year 9999 (no 10000-01-01…): valid ISO 8601 or none', async () => {
    const scenario = {...SCENARIOS.boundLeak, dateStyle: 'iso' as const, start: new Date(Date.UTC(9999, 11, 31, 23, 0, 0))}
    const a = await runAnalysis([join(tempTree({'netstat.txt': loopText(scenario)}), 'netstat.txt')], {})
    const projections = a.document.findings.map((f) => f.projectedExhaustion)
    expect(a.document.findings.length).toBeGreaterThan(0)
    for (const p of projections) expect(p === null || /^\d{4}-\d\d-\d\dT/.test(p)).toBe(true)
    expect(JSON.stringify(a.document)).not.toMatch(/10000-/)
  })
})
