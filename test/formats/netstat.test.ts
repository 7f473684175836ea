import {existsSync, readdirSync, readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {accountedLines, type Collected, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {netstatParser} from '../../src/formats/netstat/index.js'
import {formatWallTime} from '../../src/formats/shared/timestamps.js'
import type {ConnectionRecord} from '../../src/formats/types.js'

const conns = (c: Collected) => c.records.filter((r) => r.kind === 'connection') as unknown as (ConnectionRecord & {snapshot: number})[]
const times = (c: Collected) => c.snapshots.map((s) => (s.time === null ? null : formatWallTime(s.time)))
const parse = (text: string, dateOrder?: 'dmy' | 'mdy') => {
  const c = parseText(netstatParser, text, dateOrder ? {dateOrder} : {})
  expect(accountedLines(c)).toBe(splitLines(text).lines.length)
  return c
}

const HEADER = '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n'

describe('netstat parser', () => {
  it('splits rows by whitespace runs, keeping IPv6 zone ids and over-long addresses', () => {
    const c = parse(
      `${HEADER}  TCP    [fe80::f5d1:8bf7:c410:e325%64]:52284  [fe80::1%64]:445  ESTABLISHED     4\r\n` +
        '  TCP    [::]:135               [::]:0                 LISTENING       988\r\n' +
        '  UDP    0.0.0.0:500            *:*                                    696\r\n' +
        '  TCP    10.33.16.169:49802     ec2-3-218-125-188:https  ESTABLISHED\r\n',
    )
    const rows = conns(c)
    expect(rows).toHaveLength(4)
    expect(rows[0]).toMatchObject({localAddr: 'fe80::f5d1:8bf7:c410:e325%64', localPort: 52284, remoteAddr: 'fe80::1%64', remotePort: 445, state: 'ESTABLISHED', pid: 4})
    expect(rows[1]).toMatchObject({localAddr: '::', localPort: 135, state: 'LISTENING', pid: 988})
    expect(rows[2]).toMatchObject({proto: 'UDP', localPort: 500, remoteAddr: '*', remotePort: -1, state: null, pid: 696})
    expect(rows[3]).toMatchObject({remoteAddr: 'ec2-3-218-125-188', remotePort: -1, pid: -1})
  })

  it('attaches -b owner lines to the row before them and counts them as structure', () => {
    const c = parse(
      `${HEADER}  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1712\r\n  RpcSs\r\n [svchost.exe]\r\n` +
        '  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4\r\n Can not obtain ownership information\r\n' +
        '  TCP    10.0.0.5:50100         10.0.0.9:443           TIME_WAIT       0\r\n' +
        '  TCP    0.0.0.0:50101          0.0.0.0:0              BOUND           4312\r\n [LeakyAgent.exe]\r\n',
    )
    expect(conns(c).map((r) => [r.pid, r.process, r.state])).toEqual([
      [1712, 'svchost.exe', 'LISTENING'],
      [4, null, 'LISTENING'],
      [0, null, 'TIME_WAIT'],
      [4312, 'LeakyAgent.exe', 'BOUND'],
    ])
    expect(c.skipped).toEqual([])
    expect(c.notes.view).toBe('netstat -anobq')
  })

  it('maps German state words, including the cp850→cp1252 mojibake forms', () => {
    const c = parse(
      'Aktive Verbindungen\n\n  Proto  Lokale Adresse         Remoteadresse          Status           PID\n' +
        ['ABHÖREN', 'ABH™REN', 'ABHREN', 'HERGESTELLT', 'WARTEND', 'SCHLIESSEN_WARTEN', 'FIN_WARTEN_2']
          .map((s, i) => `  TCP    0.0.0.0:${100 + i}            0.0.0.0:0              ${s}        ${i + 10}`)
          .join('\n') +
        '\n',
    )
    expect(conns(c).map((r) => r.state)).toEqual(['LISTENING', 'LISTENING', 'LISTENING', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'FIN_WAIT_2'])
  })

  it('starts a snapshot at each stamp line and resolves the day/month order from the whole file', () => {
    const snap = (stamp: string) => `${stamp} ${HEADER}  TCP    10.0.0.5:50000         10.0.0.9:443           ESTABLISHED     100\r\n`
    // 12/03 and 13/03: the second day proves day-first order.
    const c = parse(snap('12/03/2023 23:59:01.50') + snap('13/03/2023  0:00:02.10'))
    expect(c.snapshots).toHaveLength(2)
    expect(c.dateOrder).toBe('dmy')
    expect(times(c)).toEqual(['2023-03-12T23:59:01.500', '2023-03-13T00:00:02.100'])
    expect(conns(c).map((r) => r.snapshot)).toEqual([0, 1])
  })

  it('decides an ambiguous order from chronology across midnight, and honours --date-order', () => {
    const snap = (stamp: string) => `${stamp} ${HEADER}  TCP    10.0.0.5:50000         10.0.0.9:443           ESTABLISHED     100\r\n`
    const text = snap('Fri 03/10/2023 23:59:00.00') + snap('Sat 03/11/2023  0:00:00.00')
    expect(parse(text).dateOrder).toBe('mdy')
    expect(times(parse(text, 'dmy'))).toEqual(['2023-10-03T23:59:00.000', '2023-11-03T00:00:00.000'])
  })

  it('reads German, ISO and PowerShell Get-Date stamps', () => {
    for (const [stamp, iso] of [
      ['10.03.2023 14:05:12,34 ', '2023-03-10T14:05:12.340'],
      ['2023-03-10  9:05:12.34 ', '2023-03-10T09:05:12.340'],
      ['Friday, March 10, 2023 2:05:12 PM', '2023-03-10T14:05:12.000'],
      ['2023-03-10T14:05:12.340Z', '2023-03-10T14:05:12.340'],
    ]) {
      const c = parse(`${stamp}\r\n${HEADER}  TCP    10.0.0.5:50000         10.0.0.9:443           ESTABLISHED     100\r\n`)
      expect(times(c)).toEqual([iso])
    }
  })

  it('numbers snapshots of repeated blocks without stamps and reports no times', () => {
    const block = `${HEADER}  TCP    10.0.0.5:50000         10.0.0.9:443           ESTABLISHED     100\r\n`
    const c = parse(block + block + block)
    expect(c.snapshots).toHaveLength(3)
    expect(times(c)).toEqual([null, null, null])
    expect(c.dateOrder).toBeNull()
  })

  it('counts ping output, echoed commands and unknown lines as skipped, by reason', () => {
    const c = parse(
      `Tue 03/10/2023 14:05:12.34 ${HEADER}  TCP    10.0.0.5:50000  10.0.0.9:443  ESTABLISHED  100\r\n` +
        'Pinging 1.1.1.1 with 32 bytes of data:\r\nReply from 1.1.1.1: bytes=32 time=12ms TTL=57\r\n' +
        'C:\\scripts>netstat -ano >> netstat.txt\r\nThe system cannot find the path specified.\r\n',
    )
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([
      [6, 'ping'],
      [7, 'ping'],
      [8, 'echo'],
      [9, 'junk'],
    ])
  })

  it('flags a loop killed mid-row: the cut row is skipped as truncated and the snapshot flagged', () => {
    const snap = (stamp: string) => `${stamp} ${HEADER}  TCP    10.0.0.5:50000         10.0.0.9:443           ESTABLISHED     100\r\n`
    const c = parse(`${snap('2023-03-10 14:05:12.34')}${snap('2023-03-10 14:06:12.34')}  TCP    10.0.0.5:5`)
    expect(c.truncatedSnapshots).toBe(1)
    expect(c.skipped).toEqual([{line: 11, reason: 'truncated', raw: '  TCP    10.0.0.5:5'}])
  })

  it('flags a final snapshot whose stamp was written but not its table', () => {
    const snap = (stamp: string) => `${stamp} ${HEADER}  TCP    10.0.0.5:50000         10.0.0.9:443           ESTABLISHED     100\r\n`
    const c = parse(`${snap('2023-03-10 14:05:12.34')}${snap('2023-03-10 14:06:12.34')}2023-03-10 14:07:12.34 \r\n`)
    expect(c.snapshots).toHaveLength(3)
    expect(c.truncatedSnapshots).toBe(1)
  })

  it('accepts a header in an unknown language by its shape when rows follow it', () => {
    const c = parse('Conexiuni active\r\n\r\n  Protocol  Adresa locala  Adresa externa  Stare  PID\r\n  TCP    10.0.0.5:50000  10.0.0.9:443  ESTABLISHED  100\r\n')
    expect(conns(c)).toHaveLength(1)
    expect(c.skipped.map((s) => s.reason)).toEqual(['junk'])
  })

  it('detects netstat output and not other tables', () => {
    expect(netstatParser.detect(HEADER + '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1712\r\n')).toBeGreaterThan(0.8)
    expect(netstatParser.detect('LocalAddress LocalPort RemoteAddress RemotePort State\n------------ ---------\n0.0.0.0 135 0.0.0.0 0 Listen\n')).toBeLessThan(0.5)
    expect(netstatParser.detect('Offset(P)  Proto    Local Address\n0x1  TCPv4    0.0.0.0:135   0.0.0.0:0   LISTENING   4\n')).toBeLessThan(0.5)
    expect(netstatParser.detect('')).toBe(0)
  })
})

describe('netstat fixtures', () => {
  const dir = new URL('../../corpus/netstat/', import.meta.url)
  it('reads the committed loop fixtures with every line accounted for', () => {
    const text = readFileSync(new URL('loop-en-us-anobq-bound-leak.txt', dir), 'utf8')
    const c = parse(text)
    expect(c.snapshots).toHaveLength(40)
    expect(c.dateOrder).toBe('mdy')
    expect(c.skipped).toEqual([])
    const bound = conns(c).filter((r) => r.state === 'BOUND' && r.process === 'LeakyAgent.exe')
    const perSnapshot = [0, 39].map((s) => bound.filter((r) => r.snapshot === s).length)
    expect(perSnapshot[1]! - perSnapshot[0]!).toBeGreaterThan(500)
  })
})

const REAL = new URL('../../../shared/corpus/real/', import.meta.url)
describe.skipIf(!existsSync(REAL))('netstat on real samples', () => {
  const expected = existsSync(REAL) ? JSON.parse(readFileSync(new URL('expect.json', REAL), 'utf8')) : {}
  const files = existsSync(REAL) ? readdirSync(new URL('netstat/', REAL)) : []
  for (const f of files) {
    it(`matches the hand counts of ${f}`, () => {
      const want = expected[`netstat/${f}`]
      const c = parse(readFileSync(new URL(`netstat/${f}`, REAL), 'utf8'))
      const byState: Record<string, number> = {}
      const byProto: Record<string, number> = {}
      for (const r of conns(c)) {
        byProto[r.proto] = (byProto[r.proto] ?? 0) + 1
        if (r.state) byState[r.state] = (byState[r.state] ?? 0) + 1
      }
      expect(conns(c)).toHaveLength(want.records)
      expect(byState).toEqual(want.byState)
      expect(byProto).toEqual(want.byProto)
      if (want.skipped !== undefined) expect(c.skipped).toHaveLength(want.skipped)
      expect(netstatParser.detect(readFileSync(new URL(`netstat/${f}`, REAL), 'utf8'))).toBeGreaterThan(0.5)
    })
  }
})
