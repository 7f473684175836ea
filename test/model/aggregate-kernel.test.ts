import {fc, test} from '@fast-check/vitest'
import {afterEach, describe, expect, it} from 'vitest'

import {SnapshotAggregator, type SnapshotSummary} from '../../src/model/snapshot-aggregator.js'
import {DEFAULT_RANGE, LEGACY_RANGE} from '../../src/model/port-ranges.js'
import {SLOT_NAMES, STATE_SLOT, UDP_SLOT} from '../../src/model/slots.js'
import {newConnection} from '../../src/formats/shared/records.js'
import type {ConnectionRecord, TcpState} from '../../src/formats/types.js'

// The aggregator's per-row state lives in the compiled kernel (kernel/aggregate.ts); these tests drive it
// through SnapshotAggregator, its only wrapper: against brute-force counts, and against itself with tables
// that must grow mid-snapshot and address ids renumbered between snapshots.

const LOCALS = ['10.0.0.5', '10.0.0.6', '0.0.0.0', '::', 'fe80::1', '*', '127.0.0.1']
const REMOTES = ['52.1.1.1', '52.1.1.2', '2001:db8::7', '*', '127.0.0.1', '10.0.0.5', '0.0.0.0']
const STATES: (TcpState | null)[] = ['ESTABLISHED', 'TIME_WAIT', 'TIME_WAIT', 'LISTENING', 'BOUND', 'CLOSE_WAIT', null]

type Row = {l: number; lport: number; r: number; rport: number; st: number; pid: number}

const rowArb: fc.Arbitrary<Row> = fc.record({
  l: fc.integer({min: 0, max: LOCALS.length - 1}),
  lport: fc.oneof(fc.integer({min: 49150, max: 49170}), fc.constantFrom(-1, 80, 135, 65535)),
  r: fc.integer({min: 0, max: REMOTES.length - 1}),
  rport: fc.oneof(fc.constantFrom(-1, 0, 443), fc.integer({min: 1, max: 40})),
  st: fc.integer({min: 0, max: STATES.length - 1}),
  // PID 0 (TIME_WAIT rows left by their owner) and a few processes.
  pid: fc.constantFrom(0, 0, 4, 100, 200, -1),
})

function record(x: Row, line: number): ConnectionRecord {
  const state = STATES[x.st]!
  return {
    ...newConnection(),
    proto: state === null ? 'UDP' : 'TCP',
    localAddr: LOCALS[x.l]!,
    localPort: x.lport,
    remoteAddr: REMOTES[x.r]!,
    remotePort: x.rport,
    state,
    pid: x.pid,
    line,
  }
}

/** A summary with its slots replaced by `pid/name` (slot numbers depend on nothing else, but this reads better). */
function readable(agg: SnapshotAggregator, s: SnapshotSummary) {
  const who = (slot: number) => (slot < 0 ? '-' : `${agg.slotPid[slot]}/${agg.processes.values[agg.slotName[slot]!] ?? ''}`)
  const counts: string[] = []
  for (let i = 0; i < s.counts.length; i += 4) counts.push(`${who(s.counts[i]!)} ${SLOT_NAMES[s.counts[i + 1]!]} ${s.counts[i + 2]} @${s.counts[i + 3]}`)
  const remotes: string[] = []
  for (let i = 0; i < s.remotes.length; i += 3) remotes.push(`${agg.endpoints.label(s.remotes[i]!)} ${s.remotes[i + 1]} ${who(s.remotes[i + 2]!)}`)
  const listeners: string[] = []
  for (let i = 0; i < (s.listeners?.length ?? 0); i += 2) listeners.push(`${who(s.listeners![i]!)}:${s.listeners![i + 1]}`)
  return {rows: s.rows, counts, ephemeral: [...s.ephemeral], ephemeralAddr: s.ephemeralAddr, remotes, timeWait: s.timeWait, listeners}
}

function run(snapshots: Row[][], told?: string[]) {
  const agg = new SnapshotAggregator([DEFAULT_RANGE, LEGACY_RANGE])
  if (told) agg.onTimeWait = (line, pid, name, how) => told.push(`${line} ${pid} ${name} ${how}`)
  let line = 1
  return snapshots.map((rows) => {
    for (const x of rows) agg.connection(record(x, line++))
    return readable(agg, agg.end())
  })
}

const NO = -1
const AMBIGUOUS = -2
const portWord = (port: number) => (port < 0 || port > 65_535 ? 0 : port + 1)

/**
 * The TIME_WAIT attribution rules written plainly, for comparison with the kernel's tables: per snapshot a
 * map of remote endpoints (connections, owner) and one of connection tuples (remote endpoint, local port:
 * owner, attribution), rows without an owner attributed at the snapshot's end by lineage (the tuple's owner
 * or carried attribution one snapshot back, then its owner in this one) and then by remote affinity. Returns
 * what `onTimeWait` is told, per snapshot in row order.
 */
function referenceAttribution(snapshots: {remote: string; rport: number; lport: number; state: TcpState | null; pid: number}[][]): string[] {
  const told: string[] = []
  type Tuple = {owner: number; attr: number}
  let prevRemotes = new Map<string, number>()
  let prevTuples = new Map<string, Tuple>()
  let line = 1
  for (const rows of snapshots) {
    const remotes = new Map<string, {conns: number; owner: number}>()
    const tuples = new Map<string, Tuple>()
    const pending: {tuple: Tuple; key: string; remote: string | null; line: number}[] = []
    const countRemote = (key: string, owner: number) => {
      const r = remotes.get(key)
      if (!r) remotes.set(key, {conns: 1, owner: owner > 0 ? owner : NO})
      else if (owner > 0) r.owner = r.owner === NO || r.owner === owner ? owner : AMBIGUOUS
    }
    const tupleOf = (key: string) => {
      let t = tuples.get(key)
      if (!t) tuples.set(key, (t = {owner: NO, attr: NO}))
      return t
    }
    for (const x of rows) {
      const remoteKey = `${x.remote}|${portWord(x.rport)}`
      const tupleKey = `${remoteKey}|${portWord(x.lport)}`
      if (x.state === 'TIME_WAIT' && x.pid <= 0) {
        if (x.rport >= 0) countRemote(remoteKey, NO)
        pending.push({tuple: tupleOf(tupleKey), key: tupleKey, remote: x.rport >= 0 ? remoteKey : null, line})
      } else if (x.state !== null && x.state !== 'LISTENING' && x.state !== 'BOUND' && x.rport >= 0) {
        countRemote(remoteKey, x.pid)
        if (x.pid > 0) tupleOf(tupleKey).owner = x.pid
      }
      line++
    }
    for (const p of pending) {
      const before = prevTuples.get(p.key)
      const carried = before && before.owner < 0 ? before.attr : NO
      let owner = carried === NO ? NO : carried >> 1
      let affinity = carried !== NO && (carried & 1) === 1
      if (owner < 0) {
        owner = before ? before.owner : NO
        if (owner < 0) owner = p.tuple.owner
        if (owner < 0 && p.remote !== null) {
          const a = remotes.get(p.remote)!.owner
          const b = prevRemotes.get(p.remote) ?? NO
          const o = a === NO ? b : b === NO || b === a ? a : AMBIGUOUS
          if (o >= 0) {
            owner = o
            affinity = true
          }
        }
      }
      if (owner >= 0) {
        p.tuple.attr = owner * 2 + (affinity ? 1 : 0)
        told.push(`${p.line} ${owner} null ${affinity ? 'remote-affinity' : 'lineage'}`)
      } else told.push(`${p.line} -1 null unattributed`)
    }
    prevRemotes = new Map([...remotes].map(([k, r]) => [k, r.owner]))
    prevTuples = tuples
  }
  return told
}

describe('the aggregator kernel', () => {
  const defaults = {tables: SnapshotAggregator.tableCapacity, addresses: SnapshotAggregator.addressCompactMin}
  afterEach(() => {
    SnapshotAggregator.tableCapacity = defaults.tables
    SnapshotAggregator.addressCompactMin = defaults.addresses
  })

  test.prop([fc.array(fc.array(rowArb, {maxLength: 80}), {minLength: 1, maxLength: 5})])(
    'counts rows per process and state, and connections per remote endpoint, as a brute-force count does',
    (snapshots) => {
      const got = run(snapshots)
      let line = 1
      snapshots.forEach((rows, k) => {
        const owned = new Map<string, number>()
        const endpoints = new Map<string, number>()
        let timeWaitNoPid = 0
        for (const x of rows) {
          const state = STATES[x.st]!
          line++
          if (state === 'TIME_WAIT' && x.pid <= 0) timeWaitNoPid++
          else {
            const key = `${x.pid}/ ${state === null ? 'UDP' : state}`
            owned.set(key, (owned.get(key) ?? 0) + 1)
          }
          if (state !== null && state !== 'LISTENING' && state !== 'BOUND' && x.rport >= 0) {
            const r = REMOTES[x.r]!
            const label = `${r.includes(':') ? `[${r}]` : r}:${x.rport}`
            endpoints.set(label, (endpoints.get(label) ?? 0) + 1)
          }
        }
        const s = got[k]!
        expect(s.rows).toBe(rows.length)
        // Counter lines of owned rows: TIME_WAIT adds the attributed rows, so only the other states are compared.
        for (const [key, n] of owned) {
          if (key.endsWith(' TIME_WAIT')) continue
          expect(s.counts.find((c) => c.startsWith(`${key} `))?.split(' ')[2]).toBe(String(n))
        }
        const tw = s.timeWait
        expect(tw.lineage + tw['remote-affinity'] + tw.unattributed).toBe(timeWaitNoPid)
        const busy = [...endpoints].filter(([, n]) => n >= 3).map(([label, n]) => `${label} ${n}`)
        expect(s.remotes.map((r) => r.split(' ').slice(0, 2).join(' ')).sort()).toEqual(busy.sort())
      })
    },
  )

  test.prop([fc.array(fc.array(rowArb, {maxLength: 80}), {minLength: 1, maxLength: 6})])(
    'gives the same summaries when its tables grow mid-snapshot and address ids are renumbered between snapshots',
    (snapshots) => {
      const toldWide: string[] = []
      const wide = run(snapshots, toldWide)
      SnapshotAggregator.tableCapacity = 1
      SnapshotAggregator.addressCompactMin = 1
      const toldNarrow: string[] = []
      expect(run(snapshots, toldNarrow)).toEqual(wide)
      expect(toldNarrow).toEqual(toldWide)
    },
  )

  test.prop([fc.array(fc.array(rowArb, {maxLength: 80}), {minLength: 1, maxLength: 6})])(
    'attributes TIME_WAIT rows without an owner as the rules written plainly do',
    (snapshots) => {
      const told: string[] = []
      run(snapshots, told)
      const plain = snapshots.map((rows) => rows.map((x) => ({remote: REMOTES[x.r]!, rport: x.rport, lport: x.lport, state: STATES[x.st]!, pid: x.pid})))
      expect(told).toEqual(referenceAttribution(plain))
    },
  )

  it('attributes as the plain rules do on snapshots of tens of thousands of rows, many local ports to each peer', () => {
    // 3,000 peers, each met on several local ports (so an endpoint's tuples past its first), 30,000 rows a
    // snapshot (past the tables' first page); owners move between snapshots and TIME_WAIT rows follow them.
    let seed = 7
    const next = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
      return (seed >>> 8) % n
    }
    const snapshots = Array.from({length: 4}, () =>
      Array.from({length: 30_000}, () => {
        const peer = next(3000)
        const state: TcpState = next(3) === 0 ? 'ESTABLISHED' : 'TIME_WAIT'
        return {remote: `52.${peer >> 8}.${peer & 255}.9`, rport: 443, lport: 49_152 + next(400), state, pid: state === 'ESTABLISHED' || next(10) === 0 ? 100 + next(5) : 0}
      }),
    )
    const agg = new SnapshotAggregator([DEFAULT_RANGE])
    const told: string[] = []
    agg.onTimeWait = (line, pid, name, how) => told.push(`${line} ${pid} ${name} ${how}`)
    let line = 1
    for (const rows of snapshots) {
      for (const x of rows) agg.connection({...newConnection(), localAddr: '10.0.0.5', localPort: x.lport, remoteAddr: x.remote, remotePort: x.rport, state: x.state, pid: x.pid, line: line++})
      agg.end()
    }
    const want = referenceAttribution(snapshots)
    expect(told).toEqual(want)
    // Each way of attributing happens here, so the comparison covers them all.
    for (const how of ['lineage', 'remote-affinity', 'unattributed']) expect(want.filter((t) => t.endsWith(how)).length).toBeGreaterThan(100)
  })

  it('attributes a PID 0 TIME_WAIT row by lineage, then by remote affinity, and keeps the attribution a snapshot on', () => {
    const est = (lport: number, rport: number, pid: number): Row => ({l: 0, lport, r: 0, rport, st: 0, pid})
    const tw = (lport: number, rport: number): Row => ({l: 0, lport, r: 0, rport, st: 1, pid: 0})
    const told: string[] = []
    const [first, second, third] = run(
      [
        [est(49152, 443, 100), est(49153, 443, 100)],
        // 49152 was 100's: lineage. 49160 is new, but every connection to 52.1.1.1:443 is 100's: affinity.
        [tw(49152, 443), est(49153, 443, 100), tw(49160, 443)],
        // Still in TIME_WAIT: the attribution carries, with its method.
        [tw(49152, 443), tw(49160, 443)],
      ],
      told,
    )
    expect(first!.timeWait).toEqual({owner: 0, lineage: 0, 'remote-affinity': 0, unattributed: 0})
    expect(second!.timeWait).toEqual({owner: 0, lineage: 1, 'remote-affinity': 1, unattributed: 0})
    expect(third!.timeWait).toEqual({owner: 0, lineage: 1, 'remote-affinity': 1, unattributed: 0})
    expect(told).toEqual(['3 100 null lineage', '5 100 null remote-affinity', '6 100 null lineage', '7 100 null remote-affinity'])
    expect(third!.counts).toContain(`100/ ${SLOT_NAMES[STATE_SLOT.TIME_WAIT]} 2 @6`)
  })

  it('counts UDP rows and keeps listeners once per port', () => {
    const udp: Row = {l: 2, lport: 500, r: 3, rport: -1, st: 6, pid: 4}
    const listen: Row = {l: 2, lport: 135, r: 6, rport: 0, st: 3, pid: 4}
    const [s] = run([[udp, udp, listen, {...listen, l: 3}]])
    expect(s!.counts).toContain(`4/ ${SLOT_NAMES[UDP_SLOT]} 2 @1`)
    expect(s!.listeners).toEqual(['4/:135'])
  })

  it('holds its tables to what one snapshot met, however many distinct peers the snapshots before had', () => {
    const agg = new SnapshotAggregator([DEFAULT_RANGE])
    let line = 1
    for (let k = 0; k < 40; k++) {
      for (let i = 0; i < 500; i++) {
        const peer = `10.${k}.${i >> 8}.${i & 255}`
        agg.connection({...newConnection(), localAddr: '10.0.0.5', localPort: 49152 + i, remoteAddr: peer, remotePort: 443, state: 'TIME_WAIT', pid: 0, line: line++})
      }
      agg.end()
    }
    const f = agg.footprint()
    // This snapshot's table was emptied at `end`; the one before holds its 500 endpoints and tuples.
    expect(f.remotes).toBe(500)
    expect(f.tuples).toBe(500)
  })
})
