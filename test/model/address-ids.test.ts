import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {AddressTable} from '../../src/model/address-table.js'
import {V4_BASE} from '../../src/model/address-kinds.js'
import {dottedQuad} from '../../src/formats/shared/dotted-quad.js'
import {netstatParser} from '../../src/formats/netstat/index.js'
import {copyConnection} from '../../src/formats/shared/records.js'
import type {ConnectionRecord, RecordSink} from '../../src/formats/types.js'

describe('address ids on the hot path', () => {
  it('keeps IPv4 peers by value (no entry, never renumbered) and other addresses by renumbered ids', () => {
    const t = new AddressTable()
    const peers = ['10.0.0.1', '192.168.200.7', '255.255.255.255', '0.0.0.0', '127.0.0.1']
    const ids = peers.map((p) => t.id(p))
    // An IPv4 id is its value above V4_BASE, whether asked by string or added by value; the table holds none.
    expect(ids).toEqual(peers.map((p) => V4_BASE + dottedQuad(p)))
    expect(peers.map((p) => t.add(null, dottedQuad(p)))).toEqual(ids)
    expect(ids.map((id) => t.value(id))).toEqual(peers)
    expect(t.size).toBe(1)
    const v6 = t.id('fe80::1%12')
    const name = t.id('db-server')
    expect([v6, name]).toEqual([1, 2])
    for (let g = 1; g <= 3; g++) t.use(name, g)
    t.use(v6, 1)
    for (const id of ids) t.use(id, 3)
    const map = t.compact(3)
    // Only the used ones are kept, renumbered in order; IPv4 ids are untouched.
    expect(t.size).toBe(2)
    expect(map[v6]).toBe(-1)
    expect(t.value(map[name]!)).toBe('db-server')
    expect(ids.map((id) => t.value(id))).toEqual(peers)
    // A dropped address comes back as a new id.
    expect(t.id('fe80::1%12')).toBe(2)
    expect(t.value(2)).toBe('fe80::1%12')
  })

  test.prop([
    fc.array(
      fc.oneof(
        // An address of a small pool (met again and again), of a large one, any name, and now and then a
        // renumbering (so thousands of addresses are held between two).
        {arbitrary: fc.integer({min: 0, max: 60}).map((n) => ({kind: 'ask' as const, value: `2001:db8::${n.toString(16)}`})), weight: 10},
        {arbitrary: fc.integer({min: 0, max: 5000}).map((n) => ({kind: 'ask' as const, value: `fe80::${n.toString(16)}%12`})), weight: 40},
        {arbitrary: fc.string({minLength: 1, maxLength: 12}).map((v) => ({kind: 'ask' as const, value: `x${v}`})), weight: 5},
        {arbitrary: fc.integer({min: 0, max: 3}).map((keep) => ({kind: 'compact' as const, keep})), weight: 1},
      ),
      {maxLength: 3000},
    ),
  ], {numRuns: 40})('numbers addresses as a map from string to first-seen id does, across renumberings', (steps) => {
    const t = new AddressTable()
    // The reference: ids in first-seen order; a renumbering keeps those used in the last `keep` + 1 generations.
    let ref = new Map<string, number>()
    let lastUse = new Map<string, number>()
    let generation = 1
    for (const step of steps) {
      if (step.kind === 'ask') {
        const id = t.id(step.value)
        if (!ref.has(step.value)) ref.set(step.value, ref.size + 1)
        expect(id).toBe(ref.get(step.value))
        expect(t.value(id)).toBe(step.value)
        t.use(id, generation)
        lastUse.set(step.value, generation)
      } else {
        const since = generation - step.keep
        t.compact(since)
        const kept = [...ref].filter(([v]) => lastUse.get(v)! >= since).sort((a, b) => a[1] - b[1])
        ref = new Map(kept.map(([v], i) => [v, i + 1]))
        lastUse = new Map([...lastUse].filter(([v]) => ref.has(v)))
        generation++
      }
    }
    expect(t.size).toBe(ref.size + 1)
  })

  it('holds tens of thousands of addresses between renumberings and finds each again by its string', () => {
    const t = new AddressTable()
    const addr = (n: number) => `2001:db8:${(n >>> 16).toString(16)}::${(n & 0xffff).toString(16)}`
    // 30,000 fresh addresses in generation 1, 30,000 more in generation 2 (the table grows several times).
    for (let n = 0; n < 60_000; n++) {
      const id = t.id(addr(n))
      expect(id).toBe(n + 1)
      t.use(id, n < 30_000 ? 1 : 2)
    }
    for (let n = 0; n < 60_000; n += 997) expect(t.id(addr(n))).toBe(n + 1)
    // Generation 2's are kept, renumbered 1…30,000; generation 1's come back as new ids after them.
    t.compact(2)
    expect(t.size).toBe(30_001)
    for (let n = 30_000; n < 60_000; n += 499) expect(t.id(addr(n))).toBe(n - 29_999)
    for (let n = 0; n < 30_000; n += 3001) expect(t.value(t.id(addr(n)))).toBe(addr(n))
    expect(t.size).toBe(30_011)
  })

  it('gives the same address strings to a consumer that reads them, with and without an address table', () => {
    const text = [
      '  Proto  Local Address          Foreign Address        State           PID',
      '  TCP    10.1.2.3:49702         93.184.216.34:443      TIME_WAIT       0',
      '  TCP    10.1.2.3:49703         93.184.216.35:443      ESTABLISHED     4312',
      '  TCP    [fe80::1%12]:49704     [fe80::2%12]:445       ESTABLISHED     4',
      '  TCP    010.1.2.3:49705        1.2.3.4:80             ESTABLISHED     4',
      '  UDP    0.0.0.0:500            *:*                                    3104',
    ]
    const read = (ids: AddressTable | undefined) => {
      const rows: string[] = []
      const skipped: string[] = []
      const noop = () => {}
      const sink: RecordSink = {
        snapshot: noop, snapshotTimes: noop, truncatedSnapshot: noop, process: noop, handle: noop, handleCount: noop,
        event: noop, portRange: noop, structure: noop, note: noop,
        // Read as the row arrives (the record is reused), and from a copy, as a consumer keeping rows would.
        connection: (r: ConnectionRecord) => rows.push(`${r.localAddr} ${r.remoteAddr}`, JSON.stringify([copyConnection(r).localAddr, copyConnection(r).remoteAddr])),
        skip: (_line, reason) => skipped.push(reason),
      }
      const p = netstatParser.create(sink, {path: 'x', addressIds: ids})
      text.forEach((l, i) => p.lineBytes!(Buffer.from(l), 0, Buffer.byteLength(l), i + 1))
      p.end(true)
      return {rows: rows.filter((_, i) => i % 2 === 0), copies: rows.filter((_, i) => i % 2 === 1).map((j) => (JSON.parse(j) as string[]).join(' ')), skipped}
    }
    const plain = read(undefined)
    expect(plain.rows).toEqual(['10.1.2.3 93.184.216.34', '10.1.2.3 93.184.216.35', 'fe80::1%12 fe80::2%12', '0.0.0.0 *'])
    expect(plain.copies).toEqual(plain.rows)
    // A dotted quad with a leading zero is no canonical address: the row is malformed either way.
    expect(plain.skipped).toEqual(['malformed'])
    expect(read(new AddressTable())).toEqual(plain)
  })
})
