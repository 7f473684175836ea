import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import type {InputSink} from '../../src/model/case-builder.js'
import {countingLaneRows, laneCase} from '../helpers/lane-case.js'
import {HEADER, loop, ownerLoop, pad, STAMP, tcp} from '../helpers/lane-loops.js'

// The row lane (kernel/netstat.ts `lane`, through SnapshotAggregator's RowLane side) parses and aggregates
// plain rows in the kernel. Whatever the loop holds, the case and the input summary must be the ones the
// long way gives (PORTLEAK_LANE=0), line numbers included, however the bytes are cut.

/** The case read with the lane on or off (test/helpers/lane-case.ts). */
const caseOf = (text: string, lane: boolean, chunk: number, rowMemo = false, tap?: (sink: InputSink) => void) => laneCase(text, lane, chunk, {rowMemo, tap})

describe('the row lane', () => {
  test.prop([loop, fc.integer({min: 1, max: 400}), fc.boolean(), fc.boolean()])(
    'gives the case, the input summary and the attributions of the long way, however the bytes are cut, with the row memo or without',
    (text, chunk, crlfOnly, memo) => {
      const t = crlfOnly ? text : text.replaceAll('\r\n', '\n')
      expect(caseOf(t, true, chunk, memo)).toEqual(caseOf(t, false, 1 << 20, memo))
    },
  )

  test.prop([ownerLoop, fc.integer({min: 1, max: 400}), fc.boolean(), fc.boolean()])(
    'gives what the long way gives on -b loops (owner lines after the rows), however the bytes are cut, CRLF or LF',
    (text, chunk, crlf, memo) => {
      const t = crlf ? text.replaceAll('\n', '\r\n') : text
      expect(caseOf(t, true, chunk, memo)).toEqual(caseOf(t, false, 1 << 20, memo))
    },
  )

  it('takes the rows of a -b loop with the owner lines it learned for their PID, to the slot of their image', () => {
    const rows = [
      tcp('0.0.0.0:135', '0.0.0.0:0', 'LISTENING', '1712'),
      '  RpcSs',
      ' [svchost.exe]',
      // One svchost, two services: both are learned.
      tcp('0.0.0.0:53', '0.0.0.0:0', 'LISTENING', '1712'),
      '  Dnscache',
      ' [svchost.exe]',
      tcp('0.0.0.0:445', '0.0.0.0:0', 'LISTENING', '4'),
      ' Can not obtain ownership information',
      tcp('10.0.0.5:49152', '52.1.1.1:443', 'ESTABLISHED', '3020'),
      ' [w3wp.exe]',
      tcp('10.0.0.5:49153', '52.1.1.1:443', 'TIME_WAIT', '0'),
      ' Can not obtain ownership information',
      tcp('10.0.0.5:49154', '52.1.1.1:443', 'ESTABLISHED', '3020'),
      ' [w3wp.exe]',
      tcp('0.0.0.0:51000', '0.0.0.0:0', 'BOUND', '5120'),
      ' [LeakyAgent.exe]',
      tcp('10.0.0.5:49155', '52.1.1.2:443', 'ESTABLISHED', '5120'),
      ' [LeakyAgent.exe]',
    ]
    for (const eol of ['\r\n', '\n']) {
      const snapshot = (image: string) => [STAMP, ...HEADER, ...rows.map((l) => l.replace('LeakyAgent', image)), ''].join(eol)
      // PID 5120's image changes in the fourth snapshot (a new process with a reused PID).
      const text = [snapshot('LeakyAgent'), snapshot('LeakyAgent'), snapshot('LeakyAgent'), snapshot('Updater'), snapshot('Updater')].join(eol)
      const {result, taken} = countingLaneRows(() => caseOf(text, true, 1 << 20))
      const off = caseOf(text, false, 1 << 20)
      expect(result).toEqual(off)
      expect(result.slots).toEqual(expect.arrayContaining(['1712/svchost.exe', '4/', '3020/w3wp.exe', '5120/LeakyAgent.exe', '5120/Updater.exe']))
      // Past the first snapshot (and the change of image), all but the last row of each and its owner line.
      expect(taken).toBeGreaterThanOrEqual(3 * (rows.length - 2))
      expect(result.input.byState).toEqual({BOUND: 5, ESTABLISHED: 15, LISTENING: 15, TIME_WAIT: 5})
      // Chunks of any size, cutting rows and owner lines anywhere.
      for (const chunk of [7, 61, 113]) expect(caseOf(text, true, chunk)).toEqual(off)
    }
  })

  it('takes the rows of a plain loop (all but the last row before another kind of line) and counts them per state', () => {
    const rows = [
      tcp('0.0.0.0:135', '0.0.0.0:0', 'LISTENING', '1712'),
      tcp('10.0.0.5:49152', '52.1.1.1:443', 'ESTABLISHED', '3020'),
      tcp('10.0.0.5:49153', '52.1.1.1:443', 'TIME_WAIT', '0'),
      tcp('10.0.0.5:49154', '52.1.1.1:443', 'ESTABLISHED', '3020'),
      `  UDP    ${pad('0.0.0.0:500', 23)}${pad('*:*', 39)}1712`,
      tcp('10.0.0.5:49155', '52.1.1.2:443', 'BOUND', '5120'),
    ]
    const text = [0, 1, 2].map(() => [STAMP, ...HEADER, ...rows, ''].join('\r\n')).join('\r\n')
    const {result, taken} = countingLaneRows(() => caseOf(text, true, 1 << 20))
    // The first snapshot meets its PIDs the long way (their slots are made there); the last row of each is left over.
    expect(taken).toBeGreaterThanOrEqual(2 * (rows.length - 1))
    expect(result).toEqual(caseOf(text, false, 1 << 20))
    expect(result.input.byState).toEqual({BOUND: 3, ESTABLISHED: 6, LISTENING: 3, TIME_WAIT: 3})
    expect(result.input.byProto).toEqual({TCP: 15, UDP: 3})
  })

  it('makes the slots of new processes as it meets them, numbered as the long way numbers them', () => {
    // A server that starts short-lived processes all the time: every snapshot brings PIDs never seen, first met
    // anywhere in it (first row, right after a row the parser holds, last row), among lingering TIME_WAIT rows.
    const snapshot = (k: number) => {
      const rows: string[] = []
      for (let j = 0; j < 12; j++) {
        const pid = String(4000 + k * 12 + j)
        rows.push(tcp(`10.0.0.5:${50000 + j}`, `52.1.${k}.${j}:443`, j % 3 === 0 ? 'SYN_SENT' : 'ESTABLISHED', pid))
        if (j % 2 === 0) rows.push(tcp(`10.0.0.5:${51000 + j}`, `52.1.${k}.${j}:443`, 'TIME_WAIT', '0'))
        if (j % 4 === 1) rows.push(tcp(`10.0.0.5:${52000 + j}`, `52.1.${k}.${j}:80`, 'CLOSE_WAIT', pid))
      }
      rows.push(tcp('0.0.0.0:135', '0.0.0.0:0', 'LISTENING', '1712'))
      return [STAMP, ...HEADER, ...rows, ''].join('\r\n')
    }
    const text = [0, 1, 2, 3, 4].map(snapshot).join('\r\n')
    const {result, taken} = countingLaneRows(() => caseOf(text, true, 1 << 20))
    const off = caseOf(text, false, 1 << 20)
    expect(result).toEqual(off)
    // Sixty processes, the listener, and PID 0 (its TIME_WAIT rows, which no one else had).
    expect(result.slots).toHaveLength(5 * 12 + 2)
    // All but the last row of each snapshot: a new PID no longer sends its row the long way.
    const rows = result.input.byProto.TCP!
    expect(taken).toBeGreaterThanOrEqual(rows - 5)
    for (const chunk of [9, 97]) expect(caseOf(text, true, chunk)).toEqual(off)
  })

  test.prop([fc.array(fc.tuple(fc.integer({min: 1, max: 400}), fc.integer({min: 1, max: 6}), fc.boolean()), {minLength: 1, maxLength: 120}), fc.integer({min: 1, max: 300})])(
    'gives the slots of the long way on loops of ever new PIDs, however the bytes are cut',
    (rows, chunk) => {
      // Rows with their snapshot number: a PID is new when its snapshot first names it.
      let at = 0
      const lines = [STAMP, ...HEADER]
      for (const [pid, next, tw] of rows) {
        if (next === 1 && lines.length > 5) lines.push('', STAMP, ...HEADER)
        at++
        lines.push(tcp(`10.0.0.5:${49152 + (at % 900)}`, `52.1.1.${at % 200}:443`, tw ? 'TIME_WAIT' : 'ESTABLISHED', tw && pid % 2 === 0 ? '0' : String(pid)))
      }
      const text = [...lines, ''].join('\r\n')
      expect(caseOf(text, true, chunk)).toEqual(caseOf(text, false, 1 << 20))
    },
  )

  it('leaves a row followed by owner lines it has not learned to the long way (they name its image)', () => {
    const rows = [tcp('10.0.0.5:49152', '52.1.1.1:443', 'ESTABLISHED', '3020'), tcp('10.0.0.5:49153', '52.1.1.1:443', 'ESTABLISHED', '3020'), ' [w3wp.exe]']
    const text = [0, 1, 2].map(() => [STAMP, ...HEADER, ...rows, ''].join('\n')).join('\n')
    const on = caseOf(text, true, 1 << 20)
    expect(on).toEqual(caseOf(text, false, 1 << 20))
    expect(on.slots).toContain('3020/w3wp.exe')
  })

  it('is not used when the sink is tapped for every row (export --connections); it is with the row memo', () => {
    const rows = Array.from({length: 20}, (_, i) => tcp(`10.0.0.5:${49152 + i}`, '52.1.1.1:443', 'ESTABLISHED', '3020'))
    const text = [0, 1, 2].map(() => [STAMP, ...HEADER, ...rows, ''].join('\n')).join('\n')
    const tapped = countingLaneRows(() =>
      caseOf(text, true, 1 << 20, false, (sink) => sink.tap(() => {})),
    )
    expect(tapped.taken).toBe(0)
    expect(tapped.result).toEqual(caseOf(text, false, 1 << 20))
    const memo = countingLaneRows(() => caseOf(text, true, 1 << 20, true))
    expect(memo.taken).toBeGreaterThan(0)
    expect(memo.result).toEqual(caseOf(text, false, 1 << 20, true))
  })
})
