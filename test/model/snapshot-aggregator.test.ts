import {describe, expect, it} from 'vitest'

import {SnapshotAggregator} from '../../src/model/snapshot-aggregator.js'
import {DEFAULT_RANGE, EPHEMERAL_SLOT, LEGACY_RANGE, PORTS_SLOT, type PortRange, SLOT_NAMES} from '../../src/model/slots.js'
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
