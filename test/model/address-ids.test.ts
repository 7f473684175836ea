import {describe, expect, it} from 'vitest'

import {AddressTable} from '../../src/model/address-table.js'
import {KeyIndex} from '../../src/model/key-index.js'
import {dottedQuad} from '../../src/formats/shared/dotted-quad.js'
import {netstatParser} from '../../src/formats/netstat/index.js'
import {copyConnection} from '../../src/formats/shared/records.js'
import type {ConnectionRecord, RecordSink} from '../../src/formats/types.js'

describe('address ids on the hot path', () => {
  it('keeps IPv4 peers by value and makes their strings only when asked, across renumbering', () => {
    const t = new AddressTable()
    const peers = ['10.0.0.1', '192.168.200.7', '255.255.255.255', '0.0.0.0', '127.0.0.1']
    const ids = peers.map((p) => t.v4Intern(dottedQuad(p)))
    // Interning again, or by string, finds the same ids.
    expect(peers.map((p) => t.v4Intern(dottedQuad(p)))).toEqual(ids)
    expect(peers.map((p) => t.id(p))).toEqual(ids)
    const v6 = t.id('fe80::1%12')
    for (let g = 1; g <= 3; g++) t.use(ids[1]!, g)
    t.use(v6, 3)
    const map = t.compact(3)
    // Only the used ones are kept, renumbered in order, and their strings are the dotted quads the rows held.
    expect(t.size).toBe(3)
    expect(t.value(map[ids[1]!]!)).toBe('192.168.200.7')
    expect(t.value(map[v6]!)).toBe('fe80::1%12')
    expect(map[ids[0]!]).toBe(-1)
    expect(t.v4Id(dottedQuad('10.0.0.1'))).toBe(-1)
    // A dropped address comes back as a new id.
    expect(t.v4Intern(dottedQuad('10.0.0.1'))).toBe(3)
    expect(t.value(3)).toBe('10.0.0.1')
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
