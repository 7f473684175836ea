import {fc, test} from '@fast-check/vitest'
import {describe, expect} from 'vitest'

import {bufferSource} from '../../src/formats/shared/binary.js'
import {CollectingSink} from '../../src/formats/shared/collect.js'
import {evtxFormat} from '../../src/formats/evtx/index.js'
import {fixChecksums, type SynthEvent, tcpipEvent, writeEvtx} from '../helpers/evtx-writer.js'

const t0 = Date.UTC(2023, 2, 10, 9, 0, 0)
const events: SynthEvent[] = Array.from({length: 24}, (_, i) =>
  i % 3 === 0
    ? tcpipEvent(([4227, 4231, 4266] as const)[i % 3], t0 + i * 1000, 'APP02')
    : {time: t0 + i * 1000, provider: 'Service Control Manager', eventId: 7036, level: 4, computer: 'APP02', data: {param1: `s${i}`, param2: 'running'}, nested: i % 2 === 0},
)
const log = writeEvtx(events, {maxRecordsPerChunk: 9}).buf
const REASONS = new Set(['damaged', 'checksum', 'truncated'])

async function readAll(buf: Buffer) {
  const sink = new CollectingSink()
  await evtxFormat.read(bufferSource(buf), sink, {path: 'x.evtx'})
  return sink.result
}

describe('evtx reader on damaged logs', () => {
  test.prop([fc.nat(log.length)], {numRuns: 150})('terminates and never throws on a log cut anywhere', async (cut) => {
    const r = await readAll(log.subarray(0, cut))
    expect(r.records.length).toBeLessThanOrEqual(events.length)
    for (const s of r.skipped) expect(REASONS.has(s.reason)).toBe(true)
  })

  test.prop(
    [fc.array(fc.tuple(fc.nat(log.length - 1), fc.integer({min: 1, max: 255})), {minLength: 1, maxLength: 12}), fc.boolean(), fc.array(fc.tuple(fc.nat(log.length - 4), fc.constantFrom(0, 1, 0x200, 0xffff, 0x10000, 0x7fffffff, 0xffffffff)), {maxLength: 4})],
    {numRuns: 200},
  )('terminates and never throws on bit flips and absurd sizes and offsets', async (flips, fix, words) => {
    const buf = Buffer.from(log)
    for (const [at, x] of flips) buf[at] ^= x
    for (const [at, v] of words) buf.writeUInt32LE(v >>> 0, at)
    if (fix) fixChecksums(buf)
    const r = await readAll(buf)
    // Damage can make a chunk look empty or drop records, never invent more than were written per chunk.
    expect(r.records.length).toBeLessThanOrEqual(events.length)
    for (const s of r.skipped) expect(REASONS.has(s.reason)).toBe(true)
  })
})
