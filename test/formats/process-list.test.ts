import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {accountedLines, type Collected, type CollectedRecord, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {processListParser} from '../../src/formats/process-list/index.js'

const corpusDir = (format: string) => new URL(`../../corpus/${format}/`, import.meta.url)
const corpus = (name: string) => readFileSync(new URL(name, corpusDir('process-list')), 'utf8')
const realDir = fileURLToPath(new URL('../../../shared/corpus/real/', import.meta.url))

type ProcessRow = Extract<CollectedRecord, {kind: 'process'}>
const processes = (c: Collected) => c.records.filter((r): r is ProcessRow => r.kind === 'process')
const byName = (c: Collected, name: string) => processes(c).find((r) => r.name === name)

function parse(text: string): Collected {
  const c = parseText(processListParser, text)
  expect(accountedLines(c)).toBe(splitLines(text).lines.length)
  return c
}

describe('processListParser', () => {
  describe.skipIf(!existsSync(realDir))('real samples', () => {
    it('reads both Windows PowerShell 5.1 Get-Process tables and skips their prompts as echo', () => {
      const text = readFileSync(`${realDir}handles/ps51-get-process.txt`, 'utf8')
      expect(processListParser.detect(text)).toBeGreaterThanOrEqual(0.8)
      const c = parse(text)
      expect(processes(c).map((r) => [r.name, r.pid, r.handles])).toEqual([
        ['lsass', 672, 1260],
        ['winlogon', 996, 274],
      ])
      expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[1, 'echo'], [7, 'echo']])
    })

    it('scores every real sample of another format low', () => {
      for (const dir of ['netstat', 'powershell', 'dumps', 'netsh']) {
        for (const f of readdirSync(`${realDir}${dir}`)) {
          expect(processListParser.detect(readFileSync(`${realDir}${dir}/${f}`, 'utf8').slice(0, 65536)), f).toBeLessThan(0.5)
        }
      }
      for (const f of readdirSync(`${realDir}handles`).filter((f) => !f.startsWith('ps51'))) {
        expect(processListParser.detect(readFileSync(`${realDir}handles/${f}`, 'utf8')), f).toBeLessThan(0.5)
      }
    })
  })

  it('reads a PowerShell Get-Date / Get-Process loop into stamped snapshots with growing handle counts', () => {
    const c = parse(corpus('ps51-loop-leakyagent.txt'))
    expect(c.snapshots).toHaveLength(8)
    expect(c.snapshots[0]).toMatchObject({line: 2, time: Date.UTC(2026, 0, 14, 9, 55, 3)})
    expect(c.snapshots[7]!.time).toBe(Date.UTC(2026, 0, 14, 10, 2, 6))
    const leaky = processes(c).filter((r) => r.pid === 4312)
    expect(leaky.map((r) => r.handles)).toEqual([4587, 5712, 6904, 7988, 9105, 10240, 11377, 12744])
    expect(leaky.map((r) => r.snapshot)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(processes(c)).toHaveLength(16)
    expect(c.skipped).toEqual([])
  })

  it('reads the older VM(M) layout, a blank CPU cell, and skips a PowerShell error', () => {
    const c = parse(corpus('ps-old-vm-column.txt'))
    expect(processes(c).map((r) => [r.name, r.pid, r.handles])).toEqual([
      ['LeakyAgent', 4312, 12744],
      ['System', 4, 5871],
      ['lsass', 504, 1408],
      ['svchost', 872, 1150],
      ['sqlservr', 2412, 702],
      ['Idle', 0, 0],
    ])
    expect(c.skipped.filter((s) => s.reason === 'junk')).toHaveLength(6)
  })

  it('reads the PowerShell 7 table, which has no Handles column, with null handle counts', () => {
    const c = parse(corpus('ps7-get-process.txt'))
    expect(processes(c).map((r) => [r.name, r.pid, r.handles])).toEqual([
      ['Idle', 0, null],
      ['ApplicationFrameHost', 13256, null],
      ['LeakyAgent', 4312, null],
      ['Memory Compression', 2044, null],
      ['lsass', 684, null],
      ['System', 4, null],
    ])
  })

  it('reads Select-Object tables with names holding blanks, HandleCount, Threads and StartTime', () => {
    const c = parse(corpus('ps-select-handles.txt'))
    expect(processes(c)).toHaveLength(8)
    expect(byName(c, 'Memory Compression')).toMatchObject({pid: 2044, handles: 0})
    const [, second] = processes(c).filter((r) => r.pid === 4312)
    expect(second).toMatchObject({handles: 12744, threads: 187, created: Date.UTC(2026, 0, 14, 7, 2, 11), line: 17})
    expect(processes(c).at(-1)).toMatchObject({name: 'lsass', created: Date.UTC(2026, 0, 13, 23, 58, 40)})
  })

  it('reads Export-Csv with a #TYPE line and empty trailing fields', () => {
    const c = parse(corpus('export-csv-type.csv'))
    expect(processes(c).map((r) => [r.name, r.pid, r.handles, r.created])).toEqual([
      ['LeakyAgent', 4312, 12744, Date.UTC(2026, 0, 14, 7, 2, 11)],
      ['svchost', 1108, 2430, Date.UTC(2026, 0, 13, 23, 58, 40)],
      ['System', 4, 5871, null],
      ['Idle', 0, 0, null],
    ])
  })

  it('reads PowerShell 7 CSV with a quoted comma and marks the cut-off last row', () => {
    const c = parse(corpus('export-csv-ps7.csv'))
    expect(processes(c).map((r) => [r.name, r.pid, r.handles, r.threads])).toEqual([
      ['LeakyAgent', 4312, 12744, 187],
      ['Contoso Sync, Helper', 5120, 391, 9],
      ['lsass', 684, 1408, 11],
    ])
    expect(c.skipped).toEqual([{line: 5, reason: 'truncated', raw: '"svchost","11'}])
  })

  it('reads tasklist CSV, with /v columns, and leaves handles null because tasklist has none', () => {
    const plain = parse(corpus('tasklist-csv.csv'))
    expect(processes(plain)).toHaveLength(6)
    expect(byName(plain, 'System Idle Process')).toMatchObject({pid: 0, handles: null})
    const verbose = parse(corpus('tasklist-v-csv.csv'))
    expect(processes(verbose).map((r) => [r.name, r.pid, r.handles])).toEqual([
      ['System Idle Process', 0, null],
      ['LeakyAgent.exe', 4312, null],
      ['notepad.exe', 9044, null],
    ])
  })

  it('reads headerless tasklist /nh CSV rows', () => {
    const c = parse('"lsass.exe","684","Services","0","21,844 K"\r\n"LeakyAgent.exe","4312","Services","0","398,320 K"\r\n')
    expect(processes(c).map((r) => [r.name, r.pid])).toEqual([
      ['lsass.exe', 684],
      ['LeakyAgent.exe', 4312],
    ])
  })

  it('reads the tasklist table by its = rule, names cut at 25 characters', () => {
    const c = parse(corpus('tasklist-table.txt'))
    expect(processes(c)).toHaveLength(8)
    expect(processes(c)[0]).toMatchObject({name: 'System Idle Process', pid: 0, handles: null, line: 4})
    expect(processes(c).at(-1)).toMatchObject({name: 'MicrosoftEdgeUpdateBroker', pid: 9120})
  })

  it('reads a German tasklist loop with %date% %time% stamps', () => {
    const c = parse(corpus('tasklist-table-de-loop.txt'))
    expect(c.snapshots.map((s) => s.time)).toEqual([
      Date.UTC(2026, 0, 14, 9, 0, 0, 400),
      Date.UTC(2026, 0, 14, 10, 0, 1, 410),
      Date.UTC(2026, 0, 14, 11, 0, 2, 420),
    ])
    expect(c.dateOrder).toBe('dmy')
    expect(processes(c).filter((r) => r.name === 'LeakyAgent.exe').map((r) => r.snapshot)).toEqual([0, 1, 2])
  })

  it('reads Format-List blocks and tasklist /fo list blocks, one record per block at its first line', () => {
    const fl = parse(corpus('get-process-format-list.txt'))
    expect(processes(fl).map((r) => [r.name, r.pid, r.handles, r.line])).toEqual([
      ['LeakyAgent', 4312, 12744, 3],
      ['lsass', 684, 1408, 9],
    ])
    const list = parse(corpus('tasklist-list.txt'))
    expect(processes(list).map((r) => [r.name, r.pid, r.line])).toEqual([
      ['LeakyAgent.exe', 4312, 2],
      ['lsass.exe', 684, 8],
    ])
  })

  it('reads one record from a Format-List * block that names handles and the name twice', () => {
    const text =
      'Name                       : LeakyAgent\r\nId                         : 4312\r\nHandles                    : 12744\r\n' +
      'StartTime                  : 14.01.2026 07:02:11\r\nThreads                    : {4416, 4420, 4424, 4428...}\r\n' +
      'HandleCount                : 12744\r\nProcessName                : LeakyAgent\r\n\r\n'
    const c = parse(text)
    expect(processes(c)).toEqual([expect.objectContaining({pid: 4312, name: 'LeakyAgent', handles: 12744, threads: null, created: Date.UTC(2026, 0, 14, 7, 2, 11), line: 1})])
    expect(c.structureLines).toBe(7)
  })

  it('splits tasklist /fo list blocks that have no blank line between them', () => {
    const c = parse('Image Name:   a.exe\nPID:          10\nImage Name:   b.exe\nPID:          20\n')
    expect(processes(c).map((r) => [r.name, r.pid, r.line])).toEqual([
      ['a.exe', 10, 1],
      ['b.exe', 20, 3],
    ])
  })

  it('reads tab-separated copies with a header, and folds tasklist /svc continuation lines', () => {
    const tsv = 'Name\tPID\tStatus\tUser name\tHandles\nLeakyAgent.exe\t4312\tRunning\tSYSTEM\t12,744\n'
    expect(processes(parse(tsv))[0]).toMatchObject({name: 'LeakyAgent.exe', pid: 4312, handles: 12744})
    const svc =
      '\nImage Name                     PID Services\n========================= ======== ============================================\n' +
      'svchost.exe                   1108 BrokerInfrastructure, DcomLaunch, PlugPlay,\n                                   Power, SystemEventsBroker\n'
    const c = parse(svc)
    expect(processes(c).map((r) => [r.name, r.pid])).toEqual([['svchost.exe', 1108]])
    expect(c.skipped).toEqual([])
  })

  it('reads Get-CimInstance Win32_Process tables with parent ids and thread counts', () => {
    const text =
      'ProcessId ParentProcessId Name           HandleCount ThreadCount\n' +
      '--------- --------------- ----           ----------- -----------\n' +
      '     4312             872 LeakyAgent.exe       12744         187\n'
    expect(processes(parse(text))[0]).toMatchObject({pid: 4312, ppid: 872, name: 'LeakyAgent.exe', handles: 12744, threads: 187})
  })

  it('does not turn a Get-NetTCPConnection listing into processes', () => {
    const table =
      'LocalAddress                        LocalPort RemoteAddress                       RemotePort State       AppliedSetting OwningProcess\n' +
      '------------                        --------- -------------                       ---------- -----       -------------- -------------\n' +
      '0.0.0.0                             53343     0.0.0.0                             0          Bound                      4312\n'
    const list = 'LocalAddress   : ::\nLocalPort      : 5985\nState          : Listen\nOwningProcess  : 4\nId             : 7\nName           : x\n'
    for (const text of [table, list]) {
      expect(processListParser.detect(text)).toBeLessThan(0.3)
      expect(parse(text).records).toEqual([])
    }
  })

  it('keeps the last row of a table that a loop follows with its own dashed separator', () => {
    const c = parse('Name          Id Handles\n----          -- -------\nLeakyAgent  4312    9876\n----------\n2026-01-14 09:01:00\n')
    expect(processes(c).map((r) => [r.name, r.pid, r.handles])).toEqual([['LeakyAgent', 4312, 9876]])
    expect(c.skipped).toEqual([])
  })

  it('marks the last row of a loop cut off mid-write', () => {
    const table = 'Name          Id Handles\n----          -- -------\n'
    const c = parse(`2026-01-14 09:00:00\n${table}LeakyAgent  4312    9876\n2026-01-14 09:01:00\n${table}LeakyAgent  4312    98`)
    expect(processes(c)).toHaveLength(1)
    expect(c.truncatedSnapshots).toBe(1)
    expect(c.skipped).toEqual([{line: 8, reason: 'truncated', raw: 'LeakyAgent  4312    98'}])
  })

  describe('detect', () => {
    const low = {
      netstat: '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1108\r\n  TCP    10.0.0.5:50123         10.0.0.9:443           ESTABLISHED     4312\r\n',
      'vol2 pslist': 'Volatility Foundation Volatility Framework 2.4\nOffset(V)          Name                    PID   PPID   Thds     Hnds   Sess  Wow64 Start                Exit                \n------------------ -------------------- ------ ------ ------ -------- ------ ------ -------------------- --------------------\n0xfffffa80004b09e0 System                    4      0     78      489 ------      0 2012-02-22 19:58:20                      \n',
      'vol3 psscan csv': 'TreeDepth,PID,PPID,ImageFileName,Offset(V),Threads,Handles,SessionId,Wow64,CreateTime,ExitTime\n0,4,0,System,0x84f4a8e8,85,507,N/A,False,2019-11-07 12:51:57.000000 UTC,N/A\n',
      'kd !process': '0: kd> !process 0 0\n**** NT ACTIVE PROCESS DUMP ****\nPROCESS ffffab84c187a040\n    SessionId: none  Cid: 0004    Peb: 00000000  ParentCid: 0000\n    DirBase: 001aa000  ObjectTable: ffffc08118458e40  HandleCount: 2991.\n    Image: System\n',
      'handle.exe listing': '------------------------------------------------------------------------------\nLeakyAgent.exe pid: 4312 CONTOSO\\svc\n  1A4: File  (---)   \\Device\\Afd\n',
    }
    for (const [name, text] of Object.entries(low)) {
      it(`scores ${name} output low`, () => expect(processListParser.detect(text)).toBeLessThan(0.3))
    }

    it('scores every handle.exe fixture low and every process-list fixture high', () => {
      for (const f of readdirSync(corpusDir('handle-exe'))) {
        expect(processListParser.detect(readFileSync(new URL(f, corpusDir('handle-exe')), 'utf8')), f).toBeLessThan(0.3)
      }
      for (const f of readdirSync(corpusDir('process-list'))) {
        expect(processListParser.detect(corpus(f)), f).toBeGreaterThanOrEqual(0.8)
      }
    })
  })
})
