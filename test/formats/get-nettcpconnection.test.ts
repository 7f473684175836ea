import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {accountedLines, parseText, splitLines, type Collected} from '../../src/formats/shared/collect.js'
import {tcpState} from '../../src/formats/get-nettcpconnection/fields.js'
import {getNetTcpConnectionParser as parser} from '../../src/formats/get-nettcpconnection/index.js'
import {formatWallTime} from '../../src/formats/shared/timestamps.js'
import type {ConnectionRecord, DateOrder} from '../../src/formats/types.js'

const fixture = (name: string) =>
  readFileSync(new URL(`../../corpus/get-nettcpconnection/${name}`, import.meta.url), 'utf8')
const realDir = new URL('../../../shared/corpus/real/', import.meta.url)

function parse(text: string, dateOrder?: DateOrder) {
  const c = parseText(parser, text, dateOrder ? {dateOrder} : {})
  const rows = c.records.filter((r): r is Extract<typeof r, {kind: 'connection'}> => r.kind === 'connection')
  return {c, rows, total: splitLines(text).lines.length}
}

function counts(rows: readonly ConnectionRecord[]) {
  const byProto: Record<string, number> = {}
  const byState: Record<string, number> = {}
  for (const r of rows) {
    byProto[r.proto] = (byProto[r.proto] ?? 0) + 1
    if (r.state) byState[r.state] = (byState[r.state] ?? 0) + 1
  }
  return {byProto, byState}
}

const iso = (t: number | null) => (t === null ? null : formatWallTime(t))
const brief = (r: ConnectionRecord) => [r.line, r.proto, r.localAddr, r.localPort, r.remoteAddr, r.remotePort, r.state, r.pid]
const skips = (c: Collected) => c.skipped.map((s) => [s.line, s.reason])

describe('get-nettcpconnection', () => {
  it('reads a timestamped loop of default tables into one snapshot per Get-Date stamp', () => {
    const {c, rows, total} = parse(fixture('table-loop-getdate.txt'))
    expect(c.snapshots.map((s) => [s.line, s.stamp, iso(s.time)])).toEqual([
      [4, 'Friday, March 10, 2023 2:05:12 PM', '2023-03-10T14:05:12.000'],
      [18, 'Friday, March 10, 2023 2:06:12 PM', '2023-03-10T14:06:12.000'],
      [34, 'Friday, March 10, 2023 2:07:13 PM', '2023-03-10T14:07:13.000'],
    ])
    expect([0, 1, 2].map((s) => rows.filter((r) => r.snapshot === s).length)).toEqual([6, 8, 3])
    expect(brief(rows[1]!)).toEqual([10, 'TCP', 'fe80::f5d1:8bf7:c410:e325%12', 52284, 'fe80::1%12', 445, 'ESTABLISHED', 4])
    expect(brief(rows[0]!)).toEqual([9, 'TCP', '::', 135, '::', 0, 'LISTENING', 1012])
    expect(rows.filter((r) => r.state === 'CLOSE_WAIT').map((r) => r.pid)).toEqual([4120])
    // the loop was killed while writing the last row
    expect(skips(c)).toEqual([
      [1, 'echo'],
      [42, 'truncated'],
    ])
    expect(c.truncatedSnapshots).toBe(1)
    expect(c.notes.view).toBe('table')
    expect(accountedLines(c)).toBe(total)
  })

  it('reads narrow-console tables: cut header, cut values, right-aligned numbers, a Select-Object table', () => {
    const {c, rows, total} = parse(fixture('table-narrow-select.txt'))
    expect(rows.map(brief)).toEqual([
      [5, 'TCP', '2001:db8:85a3:8d3:1319:8a2e:3…', 49731, '2001:db8:1::20', 443, 'TIME_WAIT', 0],
      [6, 'TCP', '0.0.0.0', 49731, '0.0.0.0', 0, 'BOUND', 3360],
      [7, 'TCP', '::', 445, '::', 0, 'LISTENING', 4],
      [8, 'TCP', '192.168.1.10', 51000, '52.1.1.1', 443, 'ESTABLISHED', 5532],
      [16, 'TCP', '*', 49731, '*', -1, 'TIME_WAIT', 0],
      [17, 'TCP', '*', 445, '*', -1, 'LISTENING', 4],
    ])
    expect(rows.slice(4).map((r) => iso(r.created))).toEqual(['2023-03-10T14:05:12.000', '2023-03-09T08:00:01.000'])
    expect(skips(c)).toEqual([
      [1, 'echo'],
      [10, 'junk'],
      [12, 'echo'],
      [18, 'elision'],
    ])
    expect(accountedLines(c)).toBe(total)
  })

  it('reads Get-NetUDPEndpoint tables as UDP and tables whose padding was collapsed', () => {
    const {c, rows, total} = parse(fixture('udp-table-collapsed.txt'))
    expect(rows.slice(0, 4).map(brief)).toEqual([
      [5, 'UDP', '::', 64425, '*', -1, null, -1],
      [6, 'UDP', 'fe80::1c2b:3a4d:5e6f:7a8b%14', 1900, '*', -1, null, -1],
      [7, 'UDP', '127.0.0.1', 53612, '*', -1, null, -1],
      [8, 'UDP', '0.0.0.0', 5353, '*', -1, null, -1],
    ])
    expect(rows.slice(4).map(brief)).toEqual([
      [14, 'TCP', '10.0.0.15', 62911, '10.0.0.20', 1433, 'ESTABLISHED', 4120],
      [15, 'TCP', '0.0.0.0', 62911, '0.0.0.0', 0, 'BOUND', 4120],
      [16, 'TCP', '10.0.0.15', 62914, '10.0.0.20', 1433, 'SYN_SENT', 4120],
    ])
    expect(skips(c)).toEqual([
      [1, 'echo'],
      [10, 'echo'],
      [17, 'junk'],
    ])
    expect(accountedLines(c)).toBe(total)
    const select = 'LocalPort State OwningProcess CreationTime\n--------- ----- ------------- ------------\n' +
      '49731 TimeWait 0 3/10/2023 2:05:12 PM\n445 Listen 4\n'
    expect(parse(select).rows.map((r) => [r.localPort, r.state, r.pid, iso(r.created)])).toEqual([
      [49731, 'TIME_WAIT', 0, '2023-03-10T14:05:12.000'],
      [445, 'LISTENING', 4, null],
    ])
  })

  it('reads Format-List blocks with CreationTime in several cultures and a UDP endpoint listed with *', () => {
    const {c, rows, total} = parse(fixture('format-list-cultures.txt'))
    expect(rows.map((r) => [...brief(r), iso(r.created)])).toEqual([
      [3, 'TCP', '::', 5985, '::', 0, 'LISTENING', 4, '2026-01-14T07:17:53.000'],
      [13, 'TCP', '10.1.2.3', 50123, '10.1.2.40', 443, 'ESTABLISHED', 6120, '2022-03-09T10:31:36.000'],
      [23, 'TCP', '10.1.2.3', 50124, '10.1.2.40', 443, 'TIME_WAIT', 0, '2020-08-28T12:52:04.000'],
      [36, 'UDP', '0.0.0.0', 5353, '*', -1, null, 2240, '2026-01-14T07:20:11.000'],
      [55, 'TCP', '10.1.2.3', 50125, '10.1.2.40', 443, 'SYN_SENT', -1, null],
    ])
    expect(skips(c)).toEqual([
      [34, 'echo'],
      [51, 'malformed'],
    ])
    expect(c.notes.view).toBe('list')
    expect(accountedLines(c)).toBe(total)
  })

  it('reads Export-Csv with the #TYPE line, every CIM column and a quoted value spanning two lines', () => {
    const {c, rows, total} = parse(fixture('export-csv-type.csv'))
    expect(rows.map(brief)).toEqual([
      [3, 'TCP', '::', 135, '::', 0, 'LISTENING', 1012],
      [4, 'TCP', '0.0.0.0', 49670, '0.0.0.0', 0, 'LISTENING', 308],
      [5, 'TCP', '10.0.0.15', 62910, '10.0.0.20', 1433, 'TIME_WAIT', 0],
      [6, 'TCP', '10.0.0.15', 62911, '10.0.0.20', 1433, 'ESTABLISHED', 4120],
      [7, 'TCP', '0.0.0.0', 62911, '0.0.0.0', 0, 'BOUND', 4120],
      [9, 'TCP', '10.0.0.15', 62916, '10.0.0.20', 1433, 'FIN_WAIT_2', 4120],
    ])
    expect(iso(rows[2]!.created)).toBe('2023-03-10T14:04:01.000')
    expect(skips(c)).toEqual([[8, 'malformed']])
    expect(c.notes.view).toBe('csv')
    expect(accountedLines(c)).toBe(total)
  })

  it('reads a -UseCulture export with CIM state numbers, then a UDP export cut off at the end', () => {
    const {c, rows, total} = parse(fixture('export-csv-culture-enum.csv'))
    expect(rows.map((r) => [r.line, r.proto, r.localPort, r.state, r.pid, iso(r.created)])).toEqual([
      [2, 'TCP', 445, 'LISTENING', 4, '2023-03-10T08:00:01.000'],
      [3, 'TCP', 50001, 'ESTABLISHED', 7788, '2023-03-10T14:05:12.000'],
      [4, 'TCP', 50002, 'TIME_WAIT', 0, '2023-03-10T14:05:13.000'],
      [5, 'TCP', 50001, 'BOUND', 7788, '2023-03-10T14:05:12.000'],
      [6, 'TCP', 50003, 'DELETE_TCB', 7788, '2023-03-13T14:05:14.000'],
      [11, 'UDP', 5353, null, 2240, '2023-03-10T08:00:05.000'],
      [12, 'UDP', 5355, null, 2240, '2023-03-10T08:00:05.000'],
    ])
    // state 42 is no MSFT_NetTCPConnection value
    expect(skips(c)).toEqual([
      [7, 'malformed'],
      [13, 'truncated'],
    ])
    expect(c.truncatedSnapshots).toBe(1)
    expect(accountedLines(c)).toBe(total)
  })

  it('streams a Windows PowerShell ConvertTo-Json array with nested CIM objects and numeric states', () => {
    const {c, rows, total} = parse(fixture('convertto-json-ps51.json'))
    expect(rows.map((r) => [...brief(r), iso(r.created)])).toEqual([
      [2, 'TCP', '::', 80, '::', 0, 'LISTENING', 4, '2023-03-10T09:01:44.000'],
      [40, 'TCP', '10.0.0.15', 62910, '10.0.0.20', 1433, 'TIME_WAIT', 0, '2023-03-10T14:04:01.000'],
      [78, 'TCP', '10.0.0.15', 62911, '10.0.0.20', 1433, 'ESTABLISHED', 4120, '2023-03-10T14:04:05.000'],
      [116, 'TCP', '0.0.0.0', 62911, '0.0.0.0', 0, 'BOUND', 4120, '2023-03-10T14:04:05.000'],
    ])
    // the fifth object's LocalPort is not a number
    expect(skips(c)).toEqual([[154, 'malformed']])
    expect(c.notes.view).toBe('json')
    expect(accountedLines(c)).toBe(total)
  })

  it('reads a loop of compressed JSON documents, single objects included, and notes the one cut mid-object', () => {
    const {c, rows, total} = parse(fixture('convertto-json-ps7-loop.json'))
    expect(c.snapshots.map((s) => [s.line, iso(s.time)])).toEqual([
      [1, '2023-03-10T14:05:12.123'],
      [3, '2023-03-10T14:06:12.123'],
      [5, '2023-03-10T14:07:12.123'],
      [7, '2023-03-10T14:08:12.123'],
    ])
    expect(rows.map((r) => [r.snapshot, r.line, r.localPort, r.state, iso(r.created)])).toEqual([
      [0, 2, 50001, 'ESTABLISHED', '2023-03-10T14:05:01.500'],
      [0, 2, 50001, 'BOUND', '2023-03-10T14:05:01.500'],
      [1, 4, 443, 'LISTENING', '2023-03-10T08:00:00.000'],
      [2, 6, 50002, 'SYN_SENT', null],
      [3, 9, 50003, 'LAST_ACK', null],
    ])
    expect(c.truncatedSnapshots).toBe(1)
    expect(c.skipped).toEqual([])
    expect(accountedLines(c)).toBe(total)
  })

  it('expands each Group-Object row into Count connections of its state and owning process', () => {
    const {c, rows, total} = parse(fixture('group-object-state-pid.txt'))
    const groups = new Map<number, {n: number; r: ConnectionRecord}>()
    for (const r of rows) groups.set(r.line, {n: (groups.get(r.line)?.n ?? 0) + 1, r})
    expect([...groups].map(([line, {n, r}]) => [line, n, r.state, r.pid, r.process])).toEqual([
      [5, 8512, 'BOUND', 4120, 'w3wp'],
      [6, 412, 'TIME_WAIT', 0, 'Idle'],
      [7, 37, 'ESTABLISHED', 4120, 'w3wp'],
      [8, 9, 'LISTENING', 1056, 'svchost'],
      [9, 2, 'CLOSE_WAIT', 6624, 'Microsoft Teams'],
      [10, 1, 'LISTENING', 4, 'System'],
      [11, 1, 'BOUND', 7788, null],
      [19, 8512, null, 4120, null],
      [20, 1, null, 7788, null],
      [23, 12, 'BOUND', 40, null],
    ])
    expect(rows.every((r) => r.localPort === -1 && r.remotePort === -1 && r.localAddr === '*')).toBe(true)
    expect(skips(c)).toEqual([
      [1, 'echo'],
      [12, 'malformed'],
      [15, 'echo'],
    ])
    expect(c.notes.view).toBe('group-object')
    expect(accountedLines(c)).toBe(total)
  })

  it('starts a snapshot at each stamp of a CSV (-Append) or Format-List loop, after a byte order mark', () => {
    const text = [
      '\ufeff"LocalAddress","LocalPort","RemoteAddress","RemotePort","State","OwningProcess"',
      '3/10/2023 2:05:12 PM',
      '"10.0.0.15","50001","10.0.0.20","443","Established","7788"',
      'Friday, March 10, 2023 2:06:12 PM',
      '"10.0.0.15","50002","10.0.0.20","443","TimeWait","0"',
      '"10.0.0.15","50003","10.0.0.20","443","Bound","7788"',
      '',
      '3/10/2023 2:07:12 PM',
      '',
      'LocalAddress  : 10.0.0.15',
      'LocalPort     : 50004',
      'State         : SynSent',
      'OwningProcess : 7788',
      '3/10/2023 2:08:12 PM',
      'LocalAddress  : 10.0.0.15',
      'LocalPort     : 50005',
      'State         : Established',
    ].join('\r\n')
    const {c, rows, total} = parse(text)
    expect(c.snapshots.map((s) => [s.line, iso(s.time)])).toEqual([
      [2, '2023-03-10T14:05:12.000'],
      [4, '2023-03-10T14:06:12.000'],
      [8, '2023-03-10T14:07:12.000'],
      [14, '2023-03-10T14:08:12.000'],
    ])
    expect(rows.map((r) => [r.snapshot, r.line, r.localPort, r.state])).toEqual([
      [0, 3, 50001, 'ESTABLISHED'],
      [1, 5, 50002, 'TIME_WAIT'],
      [1, 6, 50003, 'BOUND'],
      [2, 10, 50004, 'SYN_SENT'],
      [3, 15, 50005, 'ESTABLISHED'],
    ])
    expect(c.dateOrder).toBe('mdy')
    expect(c.skipped).toEqual([])
    expect(accountedLines(c)).toBe(total)
  })

  it('maps every PascalCase state name and CIM enum number', () => {
    const names = ['Closed', 'Listen', 'SynSent', 'SynReceived', 'Established', 'FinWait1', 'FinWait2', 'CloseWait']
    const more = ['Closing', 'LastAck', 'TimeWait', 'DeleteTCB']
    const expected = ['CLOSED', 'LISTENING', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2']
    const expectedMore = ['CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT', 'DELETE_TCB']
    expect([...names, ...more].map(tcpState)).toEqual([...expected, ...expectedMore])
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(tcpState)).toEqual([...expected, ...expectedMore])
    expect([tcpState(100), tcpState('100'), tcpState('Bound')]).toEqual(['BOUND', 'BOUND', 'BOUND'])
    expect([tcpState('TIME_WAIT'), tcpState('Establi...'), tcpState('Clos…'), tcpState(0), tcpState('Open')]).toEqual([
      'TIME_WAIT',
      'ESTABLISHED',
      null,
      null,
      null,
    ])
  })

  it('is confident on every view and stays low on netstat, handle.exe and Volatility text', () => {
    const dir = new URL('../../corpus/get-nettcpconnection/', import.meta.url)
    for (const name of readdirSync(dir)) expect(parser.detect(fixture(name)), name).toBeGreaterThanOrEqual(0.8)
    const others = [
      '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n' +
        '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1712\r\n',
      'Handle v5.0\r\nCopyright (C) 1997-2022 Mark Russinovich\r\n\r\nchrome.exe pid: 1234 HOST\\user\r\n' +
        '  4C: File  (RW-)   \\Device\\Afd\r\n',
      'Offset\tProto\tLocalAddr\tLocalPort\tForeignAddr\tForeignPort\tState\tPID\tOwner\tCreated\n\n' +
        '0x3dd557e8\tTCPv4\t0.0.0.0\t445\t0.0.0.0\t0\tLISTENING\t4\tSystem\tN/A\n',
      'Offset(P)          Proto    Local Address                  Foreign Address      State            Pid      Owner\n',
      '\nProtocol tcp Dynamic Port Range\n---------------------------------\nStart Port      : 49152\n',
    ]
    for (const text of others) expect(parser.detect(text)).toBeLessThan(0.5)
    expect(parser.detect('')).toBe(0)
  })
})

describe.skipIf(!existsSync(realDir))('get-nettcpconnection on the real samples', () => {
  type Expect = {format: string; records?: number; byProto?: Record<string, number>; byState?: Record<string, number>}
  const expectations = existsSync(realDir)
    ? (JSON.parse(readFileSync(new URL('expect.json', realDir), 'utf8')) as Record<string, Expect>)
    : {}
  const mine = Object.entries(expectations).filter(([, e]) => e.format === 'get-nettcpconnection')

  it('finds the PowerShell samples in expect.json', () => {
    expect(mine.length).toBeGreaterThanOrEqual(4)
  })

  for (const [path, want] of mine) {
    it(`gives the expected counts for ${path}`, () => {
      const text = readFileSync(new URL(path, realDir), 'utf8')
      const {c, rows, total} = parse(text)
      const got = counts(rows)
      if (want.records !== undefined) expect(c.records.length).toBe(want.records)
      if (want.byProto) expect(got.byProto).toEqual(want.byProto)
      if (want.byState) expect(got.byState).toEqual(want.byState)
      expect(accountedLines(c)).toBe(total)
      expect(parser.detect(text)).toBeGreaterThanOrEqual(0.8)
    })
  }

  it('scores the other real samples low', () => {
    const others = Object.entries(expectations).filter(([, e]) => e.format !== 'get-nettcpconnection')
    for (const [path] of others) {
      const text = readFileSync(new URL(path, realDir), 'latin1')
      expect([path, parser.detect(text) < 0.5]).toEqual([path, true])
    }
  })
})
