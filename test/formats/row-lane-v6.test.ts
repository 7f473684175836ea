import {fc, test} from '@fast-check/vitest'
import {afterEach, describe, expect, it} from 'vitest'

import {SnapshotAggregator} from '../../src/model/snapshot-aggregator.js'
import {countingLaneRows, laneCaseWithTables} from '../helpers/lane-case.js'

// The row lane keys IPv6 addresses by the address table's ids (kernel/netstat.ts otherAddress: a cache of
// the table's answers, the table asked on a miss). Whatever addresses a loop holds (compressed, full, zone
// ids, `[::]`, `[::1]`, text that only looks like IPv6, addresses too long to cache), the case, the input
// summary and the address table itself (which ids, in which order, after every snapshot: what compaction
// kept) must be what the long way gives (PORTLEAK_LANE=0).

/** The case, the input summary, the attributions, and the address table after each snapshot, from bytes fed in chunks. */
const caseOf = (text: string, lane: boolean, chunk: number, rowMemo: boolean) => laneCaseWithTables(text, lane, chunk, {rowMemo})

const STAMP = 'Mon 03/04/2024 08:00:01.10'
const HEADER = ['', 'Active Connections', '', '  Proto  Local Address          Foreign Address        State           PID']
/** A column as netstat pads it: at least one blank after the value, however long. */
const pad = (s: string, n: number) => `${s} `.padEnd(n)
const tcp = (l: string, r: string, state: string, pid: string) => `  TCP    ${pad(l, 23)}${pad(r, 23)}${pad(state, 16)}${pid}`

const hex = fc.integer({min: 0, max: 0xffff}).map((n) => n.toString(16))
/** Addresses the loops meet again and again (cache hits), as netstat writes them, and a few that are not what they look like. */
const KNOWN = [
  '::',
  '::1',
  '2406:da00::1',
  'fe80::1%4',
  'fe80::2%4',
  'FE80::A%12',
  '::ffff:10.0.0.5',
  '2001:db8:10:1:1:1:1:5',
  // Hand-scrubbed uploads: letters for groups (loosely IPv6), nine groups (loosely IPv6 too).
  'fe80::asda:4124',
  '1:2:3:4:5:6:7:8:9',
  // No address: a five-digit first group, a letter past f first, an empty or second zone, no closing bracket.
  '12345::1',
  'zz::1',
  '::1%',
  'fe80::1%4%5',
]
const fresh: fc.Arbitrary<string> = fc.oneof(
  // Full eight groups, compressed, with a zone, a long zone, past what the lane's cache keeps.
  fc.array(hex, {minLength: 8, maxLength: 8}).map((g) => g.join(':')),
  fc.tuple(hex, hex, hex).map(([a, b, c]) => `${a}:${b}::${c}`),
  fc.tuple(hex, fc.integer({min: 1, max: 30})).map(([a, z]) => `fe80::${a}%${z}`),
  fc.tuple(hex, fc.integer({min: 40, max: 70})).map(([a, n]) => `2001:db8::${a}%${'e'.repeat(n)}`),
  fc.integer({min: 50, max: 80}).map((n) => `1:${'a'.repeat(n)}`),
  fc.constantFrom('fe80::1%Ä', 'fe80::1%x y'),
)
const v6 = fc.oneof({weight: 3, arbitrary: fc.constantFrom(...KNOWN)}, {weight: 2, arbitrary: fresh})
const v4 = fc.constantFrom('10.0.0.5', '0.0.0.0', '127.0.0.1', '52.1.1.1', '52.1.1.2')
const addr = fc.oneof({weight: 3, arbitrary: v6.map((a) => `[${a}]`)}, {weight: 2, arbitrary: v4}, {weight: 1, arbitrary: fc.constantFrom('*', '[::1', 'host:name')})
const port = fc.oneof(fc.integer({min: 49152, max: 49170}), fc.constantFrom(0, 80, 135, 443))
const pid = fc.constantFrom('0', '0', '4', '1712', '3020')
const state = fc.constantFrom('ESTABLISHED', 'TIME_WAIT', 'TIME_WAIT', 'LISTENING', 'BOUND', 'CLOSE_WAIT')
const line: fc.Arbitrary<string> = fc.oneof(
  {weight: 14, arbitrary: fc.tuple(addr, port, addr, port, state, pid).map(([l, lp, r, rp, st, p]) => tcp(`${l}:${lp}`, `${r}:${rp}`, st, p))},
  {weight: 2, arbitrary: fc.tuple(v6, port, pid).map(([a, lp, p]) => `  UDP    ${pad(`[${a}]:${lp}`, 23)}${pad('*:*', 39)}${p}`)},
  {weight: 2, arbitrary: fc.tuple(port, pid).map(([lp, p]) => tcp(`[::]:${lp}`, '[::]:0', 'LISTENING', p))},
  {weight: 1, arbitrary: fc.constantFrom(' [svchost.exe]', '', 'junk line here', tcp('[::1]:99999', '[::1]:80', 'ESTABLISHED', '4'))},
)
const snapshot = fc.array(line, {maxLength: 30}).map((rows) => [STAMP, ...HEADER, ...rows, ''].join('\r\n'))
const loop = fc.array(snapshot, {minLength: 1, maxLength: 8}).map((s) => s.join('\r\n'))

describe('the row lane with IPv6 rows', () => {
  const compactMin = SnapshotAggregator.addressCompactMin
  afterEach(() => {
    SnapshotAggregator.addressCompactMin = compactMin
  })

  test.prop([loop, fc.integer({min: 1, max: 400}), fc.boolean(), fc.boolean(), fc.constantFrom(2, 6, 1 << 13)])(
    'gives the case, the input summary and the address table of the long way, compacted or not, however the bytes are cut',
    (text, chunk, lf, memo, compactAt) => {
      // A low threshold compacts the table at most snapshot ends (the lane's cache is dropped, its marks decide what stays).
      SnapshotAggregator.addressCompactMin = compactAt
      const t = lf ? text.replaceAll('\r\n', '\n') : text
      expect(caseOf(t, true, chunk, memo)).toEqual(caseOf(t, false, 1 << 20, memo))
    },
  )

  it('keys addresses by their new ids once the table renumbers them (fresh peers come and go)', () => {
    // Peers met in one snapshot only are dropped when the table compacts: the ids of the addresses that stay
    // (and that the lane met before) move down, and a returning peer gets a new id.
    SnapshotAggregator.addressCompactMin = 2
    const snapshots = Array.from({length: 12}, (_, k) => {
      // A wildcard bind and loopback peers in the dynamic range: what the address's facts decide (ports in use per address).
      // First an address too long for the lane's cache (asked every time).
      const rows = [tcp(`[fe80::1%${'e'.repeat(60)}]:49300`, '[::1]:5985', 'ESTABLISHED', '4'), tcp('[::]:135', '[::]:0', 'LISTENING', '1712'), tcp('[::]:49160', '[::]:0', 'LISTENING', '1712')]
      for (let j = 0; j < 6; j++) rows.push(tcp('[2001:db8::5]:5985', `[::1]:${49200 + j}`, 'TIME_WAIT', '0'))
      for (let j = 0; j < 4; j++) rows.push(tcp('[2001:db8::5]:443', `[2406:da00::${k}:${j}]:${50000 + j}`, 'TIME_WAIT', '0'))
      if (k % 4 !== 1) rows.push(tcp('[2001:db8::5]:443', '[2406:da00::c0de]:50100', 'ESTABLISHED', '4'))
      if (k % 5 === 0) rows.push(tcp('[2001:db8::5]:443', '[2406:da00::beef]:50101', 'ESTABLISHED', '3020'))
      rows.push(tcp('[2001:db8::5]:443', '[fe80::1%4]:50102', 'CLOSE_WAIT', '4'), tcp('0.0.0.0:135', '0.0.0.0:0', 'LISTENING', '1712'))
      return [STAMP, ...HEADER, ...rows, ''].join('\r\n')
    })
    const text = snapshots.join('\r\n')
    const on = caseOf(text, true, 1 << 20, false)
    expect(on).toEqual(caseOf(text, false, 1 << 20, false))
    // The table was renumbered: the first snapshot's peers are gone from it.
    expect(on.tables.at(-1)).not.toContain('2406:da00::0:0')
    expect(on.tables.at(-1)).toContain('2406:da00::c0de')
    expect(on.snapshots.at(-1)!.summary.ephemeralAddr[0]).toBe('::1')
  })

  it('takes IPv6 rows itself, asks the table once per new address, and leaves rows with no address to the long way', () => {
    const rows = [
      tcp('[::]:135', '[::]:0', 'LISTENING', '1712'),
      tcp('[::1]:49700', '[::1]:5985', 'ESTABLISHED', '4'),
      tcp('[2001:db8:10:1:1:1:1:5]:443', '[2406:da00::1]:50123', 'ESTABLISHED', '4'),
      tcp('[2001:db8:10:1:1:1:1:5]:443', '[2406:da00::2]:50124', 'TIME_WAIT', '0'),
      tcp('[fe80::1%4]:50123', '[fe80::2%4]:443', 'ESTABLISHED', '1712'),
      tcp('[2001:db8:10:1:1:1:1:5]:443', '[zz::1]:50125', 'ESTABLISHED', '4'),
      tcp('0.0.0.0:135', '0.0.0.0:0', 'LISTENING', '1712'),
    ]
    const text = [0, 1, 2, 3].map(() => [STAMP, ...HEADER, ...rows, ''].join('\r\n')).join('\r\n')
    const {result: on, taken} = countingLaneRows(() => caseOf(text, true, 1 << 20, false))
    expect(on).toEqual(caseOf(text, false, 1 << 20, false))
    // The rows before `zz::1` (not an address: malformed, the long way's verdict) in every snapshot but the first.
    expect(taken).toBeGreaterThanOrEqual(3 * 4)
    expect(on.input.skippedByReason).toEqual({malformed: 4})
    expect(on.tables.at(-1)).toEqual(expect.arrayContaining(['::', '::1', '2406:da00::1', 'fe80::1%4']))
  })
})
