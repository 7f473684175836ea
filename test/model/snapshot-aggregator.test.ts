import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {SnapshotAggregator} from '../../src/model/snapshot-aggregator.js'
import {DEFAULT_RANGE, LEGACY_RANGE, type PortRange} from '../../src/model/port-ranges.js'
import {EPHEMERAL_SLOT, PORTS_SLOT, SLOT_NAMES} from '../../src/model/slots.js'
import {newConnection} from '../../src/formats/shared/records.js'
import type {ConnectionRecord, TcpState} from '../../src/formats/types.js'

/** One TCP row (`addr:port → raddr:rport state pid`). */
function row(local: string, lport: number, remote: string, rport: number, state: TcpState, pid: number, line = 1): ConnectionRecord {
  return {...newConnection(), localAddr: local, localPort: lport, remoteAddr: remote, remotePort: rport, state, pid, line}
}

function snapshot(agg: SnapshotAggregator, rows: ConnectionRecord[]) {
  for (const r of rows) agg.connection(r)
  return agg.end()
}

/** The summary's counters as `pid:COUNTER → count`. */
function counters(agg: SnapshotAggregator, counts: Int32Array): Record<string, number> {
  const out: Record<string, number> = {}
  for (let i = 0; i < counts.length; i += 4) out[`${agg.slotPid[counts[i]!]}:${SLOT_NAMES[counts[i + 1]!]}`] = counts[i + 2]!
  return out
}

describe('SnapshotAggregator: dynamic ports in use per local address', () => {
  const rows = [
    // 10.0.0.5 holds three ports of the default range and one legacy port; 10.0.0.6 two default ones.
    row('10.0.0.5', 49152, '52.1.1.1', 443, 'ESTABLISHED', 100),
    row('10.0.0.5', 49153, '52.1.1.1', 443, 'TIME_WAIT', 0),
    row('10.0.0.5', 65535, '52.1.1.2', 443, 'CLOSE_WAIT', 100),
    row('10.0.0.5', 2000, '52.1.1.2', 80, 'ESTABLISHED', 200),
    row('10.0.0.6', 50000, '52.1.1.3', 443, 'ESTABLISHED', 200),
    row('10.0.0.6', 50001, '52.1.1.3', 443, 'ESTABLISHED', 200),
    // A wildcard bind in the range counts on every IPv4 address; listeners do not count.
    row('0.0.0.0', 60000, '0.0.0.0', 0, 'BOUND', 300),
    row('0.0.0.0', 60001, '0.0.0.0', 0, 'LISTENING', 300),
    row('10.0.0.6', 60002, '0.0.0.0', 0, 'LISTENING', 300),
    // IPv6 ports are counted on their own addresses.
    row('fe80::1', 49160, 'fe80::2', 445, 'ESTABLISHED', 4),
  ]

  it('counts per range the busiest address, wildcard binds included', () => {
    const agg = new SnapshotAggregator([DEFAULT_RANGE, LEGACY_RANGE])
    const s = snapshot(agg, rows)
    expect([...s.ephemeral]).toEqual([4, 1])
    expect(s.ephemeralAddr).toEqual(['10.0.0.5', '10.0.0.5'])
    const c = counters(agg, s.counts)
    expect(c[`100:${SLOT_NAMES[PORTS_SLOT]}`]).toBe(2)
    expect(c[`100:${SLOT_NAMES[EPHEMERAL_SLOT]}`]).toBe(2)
    expect(c[`200:${SLOT_NAMES[EPHEMERAL_SLOT]}`]).toBe(2)
    expect(c[`200:${SLOT_NAMES[PORTS_SLOT]}`]).toBe(3)
  })

  it('follows ranges added between snapshots', () => {
    const ranges: PortRange[] = [DEFAULT_RANGE]
    const agg = new SnapshotAggregator(ranges)
    expect([...snapshot(agg, rows).ephemeral]).toEqual([4])
    // A netsh output read later adds a range: the next snapshot counts it too.
    ranges.push({start: 1025, count: 1000})
    const s = snapshot(agg, rows)
    expect([...s.ephemeral]).toEqual([4, 1])
    ranges.splice(0, 2, {start: 49152, count: 2})
    expect([...snapshot(agg, rows).ephemeral]).toEqual([2])
  })

  it('counts past 32 tracked ranges', () => {
    const ranges: PortRange[] = Array.from({length: 40}, (_, i) => ({start: 1000 + i, count: 1}))
    ranges[35] = {start: 49152, count: 4}
    ranges[39] = {start: 60000, count: 1}
    const agg = new SnapshotAggregator(ranges)
    const s = snapshot(agg, rows)
    expect(s.ephemeral[35]).toBe(2)
    expect(s.ephemeral[39]).toBe(1)
    expect(s.ephemeralAddr[39]).toBe('10.0.0.5')
    expect(s.ephemeral[0]).toBe(0)
  })

  it('starts each snapshot empty', () => {
    const agg = new SnapshotAggregator([DEFAULT_RANGE])
    snapshot(agg, rows)
    const s = snapshot(agg, [row('10.0.0.7', 49999, '52.1.1.9', 443, 'ESTABLISHED', 7)])
    expect([...s.ephemeral]).toEqual([1])
    expect(s.ephemeralAddr).toEqual(['10.0.0.7'])
    expect(Object.keys(counters(agg, s.counts))).toEqual(['7:ESTABLISHED', '7:PORTS', '7:EPHEMERAL'])
  })
})

describe('SnapshotAggregator: ports per local address against a brute-force count', () => {
  // Up to 12 local addresses (the first 8 a snapshot meets keep bit sets, the rest a hash set), both families,
  // wildcard binds, listeners, ports at range edges, two snapshots (the tables start empty again).
  const addrs = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.8', '10.0.0.9', 'fe80::1', 'fe80::2', '192.168.1.1', '0.0.0.0', '::']
  const ports = fc.oneof(fc.integer({min: 49150, max: 49160}), fc.integer({min: 65528, max: 65535}), fc.integer({min: 1020, max: 1030}), fc.integer({min: 0, max: 65535}))
  const rowArb = fc.record({a: fc.integer({min: 0, max: addrs.length - 1}), port: ports, state: fc.constantFrom<TcpState>('ESTABLISHED', 'TIME_WAIT', 'BOUND', 'LISTENING', 'CLOSE_WAIT')})
  const ranges: PortRange[] = [DEFAULT_RANGE, LEGACY_RANGE, {start: 65530, count: 100}, {start: 49200, count: 1}]

  /** What the summary should say: per range the busiest address (the first met among equals), wildcard binds counted on every address of their family. */
  function expected(rows: {a: number; port: number; state: TcpState}[]) {
    const isV6 = (addr: string) => addr.includes(':')
    const order: string[] = []
    const perAddr = new Map<string, Set<number>>()
    const wild = [new Set<number>(), new Set<number>()]
    for (const r of rows) {
      if (r.state === 'LISTENING') continue
      const addr = addrs[r.a]!
      if (addr === '0.0.0.0' || addr === '::') wild[addr === '::' ? 1 : 0]!.add(r.port)
      else {
        if (!perAddr.has(addr)) {
          perAddr.set(addr, new Set())
          order.push(addr)
        }
        perAddr.get(addr)!.add(r.port)
      }
    }
    const inR = (r: PortRange, p: number) => p >= r.start && p < r.start + r.count
    return ranges.map((range) => {
      let best = 0
      let at = ''
      const consider = (label: string, n: number) => {
        if (n > best) {
          best = n
          at = label
        }
      }
      for (const addr of order) {
        const fam = isV6(addr) ? 1 : 0
        const own = [...perAddr.get(addr)!].filter((p) => inR(range, p) && !wild[fam]!.has(p)).length
        consider(addr, own + [...wild[fam]!].filter((p) => inR(range, p)).length)
      }
      consider('0.0.0.0', [...wild[0]!].filter((p) => inR(range, p)).length)
      consider('::', [...wild[1]!].filter((p) => inR(range, p)).length)
      return [best, at]
    })
  }

  test.prop([fc.array(fc.array(rowArb, {maxLength: 120}), {minLength: 1, maxLength: 2})])('gives the brute-force counts and addresses', (snapshots) => {
    const agg = new SnapshotAggregator(ranges)
    for (const rows of snapshots) {
      const s = snapshot(
        agg,
        rows.map((r, i) => row(addrs[r.a]!, r.port, '52.1.1.1', 443 + (i % 7), r.state, r.state === 'TIME_WAIT' ? 0 : 100 + (i % 3))),
      )
      const want = expected(rows)
      expect([...s.ephemeral]).toEqual(want.map(([n]) => n))
      expect(s.ephemeralAddr).toEqual(want.map(([, a]) => a))
    }
  })
})

describe('SnapshotAggregator: TIME_WAIT lineage', () => {
  it('gives a TIME_WAIT row to the owner its tuple had in the snapshot before, not to an older carried one', () => {
    // 10.0.0.5:50000 → 10.0.3.10:443 is ESTABLISHED under 100, then TIME_WAIT (carried as 100's), then listed
    // in TIME_WAIT and ESTABLISHED under 200 at once (the tuple reused), then TIME_WAIT alone: 200's by then.
    const agg = new SnapshotAggregator([DEFAULT_RANGE])
    const tw = () => row('10.0.0.5', 50000, '10.0.3.10', 443, 'TIME_WAIT', 0)
    const est = (pid: number) => row('10.0.0.5', 50000, '10.0.3.10', 443, 'ESTABLISHED', pid)
    expect(counters(agg, snapshot(agg, [est(100)]).counts)['100:ESTABLISHED']).toBe(1)
    expect(counters(agg, snapshot(agg, [tw()]).counts)['100:TIME_WAIT']).toBe(1)
    const both = counters(agg, snapshot(agg, [tw(), est(200)]).counts)
    expect(both['100:TIME_WAIT']).toBe(1)
    expect(both['200:ESTABLISHED']).toBe(1)
    const after = counters(agg, snapshot(agg, [tw()]).counts)
    expect(after['200:TIME_WAIT']).toBe(1)
    expect(after['100:TIME_WAIT']).toBeUndefined()
    // And from then on it stays 200's while the row is listed alone.
    expect(counters(agg, snapshot(agg, [tw()]).counts)['200:TIME_WAIT']).toBe(1)
  })
})
