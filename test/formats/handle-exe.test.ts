import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {accountedLines, type Collected, type CollectedRecord, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {handleExeParser} from '../../src/formats/handle-exe/index.js'

const corpus = (name: string) => readFileSync(new URL(`../../corpus/handle-exe/${name}`, import.meta.url), 'utf8')
const realDir = fileURLToPath(new URL('../../../shared/corpus/real/', import.meta.url))
const real = (name: string) => readFileSync(`${realDir}${name}`, 'utf8')

type Of<K extends CollectedRecord['kind']> = Extract<CollectedRecord, {kind: K}>
const handles = (c: Collected) => c.records.filter((r): r is Of<'handle'> => r.kind === 'handle')
const counts = (c: Collected) => c.records.filter((r): r is Of<'handleCount'> => r.kind === 'handleCount')

function parse(text: string): Collected {
  const c = parseText(handleExeParser, text)
  expect(accountedLines(c)).toBe(splitLines(text).lines.length)
  return c
}

describe('handleExeParser', () => {
  describe.skipIf(!existsSync(realDir))('real samples', () => {
    it('reads per-handle lines of a -p listing without a block header as handles of an unknown process', () => {
      const text = real('handles/handle-p-chrome-snippet.txt')
      expect(handleExeParser.detect(text)).toBeGreaterThanOrEqual(0.8)
      const h = handles(parse(text))
      expect(h).toHaveLength(6)
      expect(h[0]).toMatchObject({pid: -1, process: null, type: 'File', afd: false})
      expect(h[0]!.name).toBe('C:\\Program Files (x86)\\Google\\Chrome\\Application\\Dictionaries\\en-US-8-0.bdic')
      expect(h[1]!.type).toBe('Section')
      expect(h[1]!.name).toMatch(/^\\Sessions\\1\\BaseNamedObjects\\CrSharedMem_5ae4/)
    })

    it('turns each -s summary into one handle count, summing a type listed twice', () => {
      const text = real('handles/handle-s-p-v3.42-v4.22.txt')
      expect(handleExeParser.detect(text)).toBeGreaterThanOrEqual(0.8)
      const c = parse(text)
      const [v3, v4] = counts(c)
      expect(c.records).toHaveLength(2)
      expect(v3).toMatchObject({total: 238, pid: null, process: null, afd: null, line: 5})
      expect(v3!.byType).toMatchObject({Process: 41, File: 25, 'ALPC Port': 2})
      expect(v4).toMatchObject({total: 706, line: 27})
      expect(v4!.byType).toMatchObject({'<Unknown type>': 167, WaitCompletionPacket: 25, File: 122})
      expect(c.notes.tool).toBe('Nthandle v4.22')
    })

    it('reads v5.0 CSV rows by position although the header names other columns', () => {
      const text = real('handles/handle64-v5-csv-header-mismatch.txt')
      expect(handleExeParser.detect(text)).toBeGreaterThanOrEqual(0.8)
      const h = handles(parse(text))
      expect(h).toHaveLength(7)
      expect(h.every((r) => r.type === 'File')).toBe(true)
      expect(h[1]).toMatchObject({process: 'sihost.exe', pid: 6616, name: 'C:\\Windows\\System32'})
      expect(h[6]).toMatchObject({process: 'svchost.exe', pid: 5672})
    })
  })

  it('reads a minute loop of -s -p summaries into one count per stamped snapshot, and flags the cut-off run', () => {
    const c = parse(corpus('loop-s-p-leakyagent.txt'))
    const s = counts(c)
    expect(s).toHaveLength(8)
    expect(c.snapshots).toHaveLength(9)
    expect(c.snapshots[0]).toMatchObject({line: 1, stamp: 'Wed 01/14/2026  9:58:00.17', time: Date.UTC(2026, 0, 14, 9, 58, 0, 170)})
    expect(c.snapshots[2]!.time).toBe(Date.UTC(2026, 0, 14, 10, 0, 2, 230))
    expect(c.dateOrder).toBe('mdy')
    expect(s.map((r) => r.snapshot)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    const files = s.map((r) => r.byType!.File!)
    expect(files.every((f, i) => i === 0 || f > files[i - 1]!)).toBe(true)
    expect(s[0]!.total).toBe(711)
    expect(c.truncatedSnapshots).toBe(1)
    expect(c.skipped.map((k) => k.reason)).toEqual(['truncated', 'truncated'])
  })

  it('attributes a -a -p loop to the block owner and counts growing \\Device\\Afd handles per snapshot', () => {
    const c = parse(corpus('loop-a-p-4312.txt'))
    expect(c.snapshots).toHaveLength(6)
    expect(c.dateOrder).toBe('dmy')
    expect(c.snapshots[5]!.time).toBe(Date.UTC(2026, 0, 14, 10, 0, 5, 460))
    const h = handles(c)
    expect(h.every((r) => r.pid === 4312 && r.process === 'LeakyAgent.exe')).toBe(true)
    const afdPerSnapshot = [0, 1, 2, 3, 4, 5].map((i) => h.filter((r) => r.snapshot === i && r.afd).length)
    // Every `\Device\Afd` line plus the `\Device\Afd\AsyncConnectHlp` helper socket.
    expect(afdPerSnapshot).toEqual([4, 10, 16, 23, 31, 38])
    expect(h.find((r) => r.name === '\\Device\\Nsi')?.afd).toBe(false)
    expect(h.find((r) => r.type === 'WaitCompletionPacket')?.name).toBe('')
    expect(new Set(c.skipped.map((k) => k.reason))).toEqual(new Set(['ping']))
  })

  it('reads a full-system -a listing block by block', () => {
    const c = parse(corpus('full-system-a.txt'))
    const h = handles(c)
    expect(new Set(h.map((r) => `${r.process}:${r.pid}`))).toEqual(
      new Set(['smss.exe:392', 'svchost.exe:1108', 'LeakyAgent.exe:4312', 'chrome.exe:17000']),
    )
    const leaky = h.filter((r) => r.pid === 4312)
    expect(leaky.filter((r) => r.afd)).toHaveLength(5)
    expect(leaky.find((r) => r.name === '\\Device\\AfdDriverLog.txt')?.afd).toBe(false)
    expect(leaky.find((r) => r.type === 'Thread')?.name).toBe('LeakyAgent.exe(4312): 4416')
    expect(h.find((r) => r.type === 'ALPC Port')?.name).toBe('\\RPC Control\\DNSResolver')
    expect(c.skipped).toEqual([{line: 35, reason: 'elision', raw: '...'}])
    expect(c.snapshots).toEqual([{line: 11, stamp: null, time: null}])
  })

  it('reads name-search lines with and without -u, including the v5.0 `X` handle bug', () => {
    const c = parse(corpus('search-afd.txt'))
    const h = handles(c)
    expect(h).toHaveLength(13)
    expect(h.every((r) => r.type === 'File' && r.name === '\\Device\\Afd' && r.afd)).toBe(true)
    expect(h.filter((r) => r.pid === 4312)).toHaveLength(8)
    expect(h.at(-1)).toMatchObject({process: 'LeakyAgent.exe', pid: 4312, line: 21})
    expect(c.skipped.map((k) => k.reason)).toEqual(['echo', 'echo', 'echo'])
  })

  it('reads -v CSV rows whose names hold commas and trailing blanks, and marks a cut-off last row', () => {
    const c = parse(corpus('csv-v5.txt'))
    const h = handles(c)
    expect(h).toHaveLength(10)
    expect(h.find((r) => r.pid === 4312 && r.type === 'File' && !r.afd)?.name).toBe('C:\\ProgramData\\LeakyAgent\\cache,v2\\index.db')
    expect(h.filter((r) => r.afd)).toHaveLength(4)
    expect(h.find((r) => r.type === 'ALPC Port')?.name).toBe('\\RPC Control\\OLE1B2C3D4')
    expect(c.skipped).toEqual([{line: 16, reason: 'truncated', raw: 'svchost.exe,5672,File,PcName\\Use'}])
  })

  it('also reads CSV rows in the order the header announces', () => {
    const text = 'Process,PID,User,Handle,Type,Share Flags,Name,Access\r\nLeakyAgent.exe,4312,CONTOSO\\svc,0x000001A4,File,---,\\Device\\Afd,0x0016019F\r\n'
    expect(handles(parse(text))[0]).toMatchObject({pid: 4312, type: 'File', name: '\\Device\\Afd', afd: true})
  })

  it('reads pre-v4 lines without share flags, a summary without a total, and the pid of an echoed -p command', () => {
    const c = parse(corpus('v3-p-endpoint.txt'))
    const h = handles(c)
    expect(h).toHaveLength(7)
    expect(h.filter((r) => r.afd).map((r) => r.name)).toEqual(['\\Device\\Afd\\Endpoint', '\\Device\\Afd\\Endpoint'])
    expect(h[0]).toMatchObject({pid: 2324, process: 'mserver5.exe', type: 'Event', name: ''})
    expect(counts(c)).toEqual([expect.objectContaining({pid: 2324, process: null, total: 189, line: 21})])
  })

  it('names the process of a bannerless -s -p summary from the command echoed before it', () => {
    const [s] = counts(parse(corpus('console-s-p-4312.txt')))
    expect(s).toMatchObject({pid: 4312, total: 10480, byType: {File: 9876, 'ALPC Port': 4}})
  })

  it('keeps a lone total, drops an empty summary, and starts one untimed snapshot at the first record', () => {
    const c = parse('Handle type summary:\n\nTotal handles: 512\nHandle type summary:\n')
    expect(counts(c)).toEqual([expect.objectContaining({total: 512, byType: null, line: 3})])
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[1, 'junk'], [4, 'truncated']])
    expect(c.snapshots).toEqual([{line: 3, stamp: null, time: null}])
  })

  it('reads share flags, large handle values without indent and \\Device\\AFD in any case', () => {
    const h = handles(parse('   8C: File  (RWD)   \\Device\\AFD\n12A4C: File  (---)   \\Device\\Afd\\Endpoint\n  90: Key           HKLM\\X\n'))
    expect(h.map((r) => [r.type, r.name, r.afd])).toEqual([
      ['File', '\\Device\\AFD', true],
      ['File', '\\Device\\Afd\\Endpoint', true],
      ['Key', 'HKLM\\X', false],
    ])
  })

  it('skips junk, prompts and elisions with their reasons', () => {
    const c = parse('C:\\Tools>handle64 -a -p 4312\nInitialization error:\nMake sure that you are an administrator.\n[snip]\n')
    expect(c.records).toHaveLength(0)
    expect(c.skipped.map((s) => s.reason)).toEqual(['echo', 'junk', 'junk', 'elision'])
  })

  describe('detect', () => {
    const low = {
      netstat: '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1108\r\n  TCP    10.0.0.5:50123         10.0.0.9:443           ESTABLISHED     4312\r\n  UDP    0.0.0.0:5353           *:*                                    2412\r\n',
      'Get-NetTCPConnection': 'LocalAddress                        LocalPort RemoteAddress                       RemotePort State       AppliedSetting OwningProcess\r\n------------                        --------- -------------                       ---------- -----       -------------- -------------\r\n0.0.0.0                             53343     0.0.0.0                             0          Bound                      4312\r\n',
      'Get-NetTCPConnection list': 'LocalAddress   : ::\r\nLocalPort      : 5985\r\nRemotePort     : 0\r\nState          : Listen\r\nOwningProcess  : 4\r\n',
      'vol3 handles': 'Volatility 3 Framework 2.7.1\nPID\tProcess\tOffset\tHandleValue\tType\tGrantedAccess\tName\n\n6812\tsvchost.exe\t0x9e8b90911280\t0x48\tFile\t0x100020\t\\Device\\Afd\\Endpoint\n',
      'vol2 handles': 'Offset(V)             Pid             Handle             Access Type             Details\n------------------ ------ ------------------ ------------------ ---------------- -------\n0xfffffa80004b09e0      4                0x4           0x1fffff Process          System(4)\n',
      'windbg !handle': '0:000> !handle\nHandle 4\n  Type          Section\nHandle 8\n  Type          Event\n6 Handles\nType            Count\nEvent           3\n',
      'kd !handle': 'PROCESS ffffe0014a2e1080\n    SessionId: 1  Cid: 10d8    Peb: 7ff7d000  ParentCid: 0f7c\nHandle table at ffffc000d3ba5000 with 343 entries in use\n\n0004: Object: ffffe0014a3b7a60  GrantedAccess: 001f0003 Entry: ffffc000d3ba5010\nObject: ffffe0014a3b7a60  Type: (ffffe00148e0ea60) Event\n',
      'Get-Process': 'Handles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName\n-------  ------    -----      -----     ------     --  -- -----------\n   1260      21     4948      15396       2.56    672   0 lsass\n',
      netsh: '\nProtocol tcp Dynamic Port Range\n---------------------------------\nStart Port      : 49152\nNumber of Ports : 16384\n',
    }
    for (const [name, text] of Object.entries(low)) {
      it(`scores ${name} output low`, () => expect(handleExeParser.detect(text)).toBeLessThan(0.3))
    }

    it('scores every handle.exe fixture high', () => {
      for (const f of ['loop-s-p-leakyagent.txt', 'loop-a-p-4312.txt', 'full-system-a.txt', 'search-afd.txt', 'csv-v5.txt', 'v3-p-endpoint.txt', 'console-s-p-4312.txt']) {
        expect(handleExeParser.detect(corpus(f)), f).toBeGreaterThanOrEqual(0.8)
      }
    })

    it('scores a sample cut mid-line and empty input without throwing', () => {
      expect(handleExeParser.detect(corpus('loop-a-p-4312.txt').slice(0, 1000))).toBeGreaterThanOrEqual(0.8)
      expect(handleExeParser.detect('')).toBe(0)
    })
  })
})
