import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {accountedLines, type Collected, type CollectedRecord, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {volatilityNetscanParser as parser} from '../../src/formats/volatility/netscan.js'

type Conn = Extract<CollectedRecord, {kind: 'connection'}>

const fixture = (file: string) => readFileSync(new URL(`../../corpus/volatility-netscan/${file}`, import.meta.url), 'utf8')
const realDir = fileURLToPath(new URL('../../../shared/corpus/real/', import.meta.url))
const conns = (c: Collected) => c.records.filter((r): r is Conn => r.kind === 'connection')
const count = <T>(items: T[], key: (t: T) => string | null) => {
  const out: Record<string, number> = {}
  for (const i of items) {
    const k = key(i)
    if (k !== null) out[k] = (out[k] ?? 0) + 1
  }
  return out
}
const parse = (text: string) => {
  const c = parseText(parser, text)
  expect(accountedLines(c)).toBe(splitLines(text).lines.length)
  return c
}
const strip = ({line, snapshot, kind, ...rest}: Conn) => rest
const hours = (ms: number) => ms / 3_600_000

describe('volatilityNetscanParser', () => {
  it('reads a Volatility 3 text netscan of a leaking process with canonical states and Created times', () => {
    const c = parse(fixture('vol3-netscan-java-leak.txt'))
    const rows = conns(c)
    expect(rows).toHaveLength(53)
    expect(count(rows, (r) => r.proto)).toEqual({TCP: 49, UDP: 4})
    expect(count(rows, (r) => r.state)).toEqual({
      LISTENING: 5,
      ESTABLISHED: 4,
      CLOSE_WAIT: 18,
      TIME_WAIT: 9,
      FIN_WAIT_2: 3,
      FIN_WAIT_1: 3,
      LAST_ACK: 2,
      SYN_SENT: 2,
      SYN_RECEIVED: 1,
      CLOSED: 1,
      CLOSING: 1,
    })
    const java = rows.filter((r) => r.pid === 4312 && r.remotePort === 1433)
    expect(count(java, (r) => r.state)).toMatchObject({CLOSE_WAIT: 18, ESTABLISHED: 3})
    const created = java.map((r) => r.created!)
    expect(hours(Math.max(...created) - Math.min(...created))).toBeGreaterThan(8)
    expect(rows[0]).toMatchObject({proto: 'TCP', localAddr: '0.0.0.0', localPort: 135, remoteAddr: '0.0.0.0', remotePort: 0})
    expect(rows[0]).toMatchObject({state: 'LISTENING', pid: 912, process: 'svchost.exe', created: null, line: 8})
    const timeWait = rows.filter((r) => r.state === 'TIME_WAIT')
    expect(timeWait.every((r) => r.pid === -1 && r.process === null && r.created === null)).toBe(true)
    const udp = rows.find((r) => r.proto === 'UDP' && r.localPort === 58231)
    expect(udp).toMatchObject({state: null, remoteAddr: '*', remotePort: -1, pid: 4312})
    expect(udp?.created).toBe(Date.UTC(2025, 1, 11, 4, 19, 5))
    expect(rows.find((r) => r.state === 'SYN_RECEIVED')?.localAddr).toBe('fe80::5d2c:1b8e:9a41:7c3%12')
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[1, 'echo'], [4, 'junk'], [61, 'truncated']])
    expect(c.notes).toEqual({view: 'vol3-text', plugin: 'netscan'})
    expect(c.snapshots).toEqual([])
  })

  it('gives the same connections from the csv, json, jsonl and text renderings', () => {
    const text = conns(parse(fixture('vol3-netscan-java-leak.txt'))).map(strip)
    const csv = parse(fixture('vol3-netscan-java-leak.csv'))
    expect(csv.notes.view).toBe('vol3-csv')
    expect(conns(csv).map(strip)).toEqual(text)
    const json = parse(fixture('vol3-netscan-java-leak.json'))
    expect(json.notes.view).toBe('vol3-json')
    expect(conns(json).map(strip)).toEqual(text.slice(0, 12))
    // Indented JSON: each row is emitted under the line of its opening brace.
    expect(conns(json).slice(0, 2).map((r) => r.line)).toEqual([5, 18])
    const jsonl = parse(fixture('vol3-netstat.jsonl'))
    expect(conns(jsonl).map(strip)).toEqual(text.slice(0, 6))
    expect(conns(jsonl).map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('reads the pretty renderer with its tree column and right-aligned cells', () => {
    const c = parse(fixture('vol3-netstat-pretty.txt'))
    expect(conns(c).map(strip)).toEqual([
      {proto: 'TCP', localAddr: '192.168.1.20', localPort: 50112, remoteAddr: '52.96.165.18', remotePort: 443, state: 'TIME_WAIT', pid: -1, process: null, created: null},
      {proto: 'TCP', localAddr: '192.168.1.20', localPort: 50113, remoteAddr: '52.96.165.18', remotePort: 443, state: 'CLOSE_WAIT', pid: 5732, process: 'Teams.exe', created: Date.UTC(2025, 1, 11, 11, 35, 41)},
      {proto: 'UDP', localAddr: '0.0.0.0', localPort: 5353, remoteAddr: '*', remotePort: -1, state: null, pid: 2044, process: 'chrome.exe', created: Date.UTC(2025, 1, 11, 9, 2, 17)},
    ])
    expect(c.notes.view).toBe('vol3-pretty')
  })

  it('reads Volatility 2 netscan: joined ip:port, unknown local address, empty UDP state, garbage owner, [snip]', () => {
    const c = parse(fixture('vol2-netscan-win2008r2.txt'))
    const rows = conns(c)
    expect(rows).toHaveLength(16)
    expect(count(rows, (r) => r.proto)).toEqual({TCP: 12, UDP: 4})
    expect(rows[1]).toMatchObject({proto: 'TCP', localAddr: '::', localPort: 80, remoteAddr: '::', remotePort: 0, state: 'LISTENING'})
    expect(rows[2]).toMatchObject({proto: 'UDP', localPort: 500, remoteAddr: '*', remotePort: -1, state: null, pid: 872})
    expect(rows[2]?.created).toBe(Date.UTC(2021, 3, 19, 17, 19, 34))
    expect(rows[4]).toMatchObject({localAddr: 'fe80::61b0:d1c3:c0b6:2ea8', localPort: 1900})
    expect(rows.find((r) => r.localPort === 52101)).toMatchObject({localAddr: '*', state: 'CLOSED', pid: 3160, process: 'w3wp.exe'})
    expect(rows.find((r) => r.localPort === 52112)).toMatchObject({state: 'TIME_WAIT', pid: -1, process: null})
    expect(rows.find((r) => r.process === '?C?')).toMatchObject({pid: 1, localAddr: '*', localPort: 0})
    expect(rows.find((r) => r.localPort === 61902)?.process).toBe('VBoxService.ex')
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[1, 'echo'], [16, 'elision']])
    expect(c.notes).toEqual({view: 'vol2', plugin: 'netscan'})
  })

  it('reads connscan and sockets with state null for TCP and skips raw sockets', () => {
    const c = parse(fixture('vol2-connscan-sockets-xp.txt'))
    const rows = conns(c)
    expect(rows.map((r) => [r.proto, r.localAddr, r.localPort, r.remoteAddr, r.remotePort, r.state, r.pid])).toEqual([
      ['TCP', '172.16.176.143', 1054, '193.104.41.75', 80, null, 856],
      ['TCP', '0.0.0.0', 1056, '193.104.41.75', 80, null, 856],
      ['TCP', '172.16.176.143', 1058, '193.104.41.75', 80, null, 1512],
      ['UDP', '0.0.0.0', 500, '*', -1, null, 688],
      ['TCP', '0.0.0.0', 445, '*', -1, null, 4],
      ['TCP', '0.0.0.0', 135, '*', -1, null, 936],
    ])
    expect(rows[3]?.created).toBe(Date.UTC(2010, 9, 29, 17, 11, 56))
    expect(c.skipped.find((s) => s.line === 12)?.reason).toBe('junk')
  })

  it('skips a TCP row whose state is no TCP state as malformed, and a cut-off last row as truncated', () => {
    const header = 'Offset\tProto\tLocalAddr\tLocalPort\tForeignAddr\tForeignPort\tState\tPID\tOwner\tCreated'
    const text = [
      header,
      '',
      '0x9e8b1\tTCPv4\t10.0.0.5\t50001\t10.0.0.9\t443\tESTABLISHED\t812\tagent.exe\t2025-01-02 03:04:05.000000 UTC',
      '0x9e8b2\tTCPv4\t10.0.0.5\t50002\t10.0.0.9\t443\t47\t812\tagent.exe\t-',
      '0x9e8b3\tTCPv4\t10.0.0.5\t50003\t10.0.0.9\t443\tCLOSE_WAIT',
    ].join('\n')
    const c = parse(text)
    expect(conns(c)).toHaveLength(1)
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[4, 'malformed'], [5, 'truncated']])
    expect(parse(`${text}\n`).skipped.at(-1)?.reason).toBe('malformed')
  })

  it('reads Volatility 2 --output=json rows on one line', () => {
    const doc = {
      columns: ['Offset(P)', 'Proto', 'Local Address', 'Foreign Address', 'State', 'Pid', 'Owner', 'Created'],
      rows: [
        [263710768, 'TCPv4', '10.0.2.15:49363', '173.194.35.38:80', 'CLOSE_WAIT', 2820, 'iexplore.exe', ''],
        [284973424, 'UDPv4', '0.0.0.0:59362', '*:*', '', 1736, 'svchost.exe', '2012-02-22 20:02:27 UTC+0000'],
      ],
    }
    const c = parse(`Volatility Foundation Volatility Framework 2.6\n${JSON.stringify(doc)}\n`)
    expect(conns(c).map(strip)).toEqual([
      {proto: 'TCP', localAddr: '10.0.2.15', localPort: 49363, remoteAddr: '173.194.35.38', remotePort: 80, state: 'CLOSE_WAIT', pid: 2820, process: 'iexplore.exe', created: null},
      {proto: 'UDP', localAddr: '0.0.0.0', localPort: 59362, remoteAddr: '*', remotePort: -1, state: null, pid: 1736, process: 'svchost.exe', created: Date.UTC(2012, 1, 22, 20, 2, 27)},
    ])
    expect(c.notes).toEqual({view: 'vol2-json', plugin: 'netscan'})
  })

  it('skips the rows of another plugin pasted after the netscan table as junk', () => {
    const text = [
      'Offset\tProto\tLocalAddr\tLocalPort\tForeignAddr\tForeignPort\tState\tPID\tOwner\tCreated',
      '',
      '0x1\tTCPv4\t0.0.0.0\t445\t0.0.0.0\t0\tLISTENING\t4\tSystem\tN/A',
      '',
      'PID\tPPID\tImageFileName\tOffset(V)\tThreads\tHandles\tSessionId\tWow64\tCreateTime\tExitTime\tFile output',
      '',
      '4\t0\tSystem\t0xc40f8a486040\t162\t4211\tN/A\tFalse\t2025-02-08 03:11:52.000000 UTC\tN/A\tDisabled',
    ].join('\n')
    const c = parse(text)
    expect(conns(c)).toHaveLength(1)
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[5, 'junk'], [7, 'junk']])
  })

  it('detects its renderings and no other tables', () => {
    for (const f of ['vol3-netscan-java-leak.txt', 'vol3-netscan-java-leak.csv', 'vol3-netscan-java-leak.json', 'vol2-netscan-win2008r2.txt']) {
      expect(parser.detect(fixture(f))).toBeGreaterThanOrEqual(0.8)
    }
    expect(parser.detect('PID\tProcess\tOffset\tHandleValue\tType\tGrantedAccess\tName\n')).toBeLessThan(0.5)
    expect(parser.detect('  Proto  Local Address          Foreign Address        State           PID\n')).toBe(0)
    expect(parser.detect('[{"LocalAddress": "::", "LocalPort": 445, "RemoteAddress": "::", "State": 2}]')).toBe(0)
  })

  describe.skipIf(!existsSync(realDir))('real samples', () => {
    const expected = existsSync(realDir) ? JSON.parse(readFileSync(`${realDir}expect.json`, 'utf8')) : {}
    for (const [file, want] of Object.entries<{format: string; records?: number; byProto?: object; byState?: object}>(expected)) {
      if (want.format !== parser.id) continue
      it(`matches expect.json for ${file}`, () => {
        const text = readFileSync(`${realDir}${file}`, 'utf8')
        expect(parser.detect(text.slice(0, 65536))).toBeGreaterThanOrEqual(0.8)
        const rows = conns(parse(text))
        expect(rows).toHaveLength(want.records!)
        expect(count(rows, (r) => r.proto)).toEqual(want.byProto)
        expect(count(rows, (r) => r.state)).toEqual(want.byState)
      })
    }
  })
})
