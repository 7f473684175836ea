import {describe, expect, it} from 'vitest'

import {lifePeak, maxOf, minOf, peakOf} from '../../src/model/extremes.js'
import {runAnalysis} from '../../src/pipeline.js'
import {tempFiles} from '../helpers/run.js'

describe('maxOf / minOf', () => {
  it('handle series longer than a spread into Math.max can take (a loop sampled several times a second)', () => {
    const series = new Int32Array(500_000)
    series[123_456] = 7
    series[400_000] = -3
    expect(() => Math.max(...series)).toThrow(RangeError)
    expect(maxOf(series)).toBe(7)
    expect(minOf(series)).toBe(-3)
  })

  it('give what Math.max / Math.min give, empty series and a starting value included', () => {
    for (const v of [[], [5], [3, 9, 1], [-4, -2]]) {
      expect(maxOf(v)).toBe(Math.max(...v))
      expect(minOf(v)).toBe(Math.min(...v))
      expect(maxOf(v, 0)).toBe(Math.max(0, ...v))
    }
  })
})

const col = (s: string, w: number) => s + ' '.repeat(Math.max(1, w - s.length))
const tcp = (local: string, remote: string, state: string, pid: number) => `  TCP    ${col(local, 23)}${col(remote, 23)}${col(state, 16)}${pid}`

describe('lifePeak', () => {
  it('is the peak of every process series a timeline builds: they are zero outside [first, last]', async () => {
    // A minute loop where a short-lived client starts every snapshot and its connections linger in TIME_WAIT under
    // PID 0 after it is gone (attributed to it by lineage), beside a steady service and a slow leak.
    const out: string[] = []
    for (let s = 0; s < 240; s++) {
      const hh = String(Math.floor(s / 60)).padStart(2, '0')
      const mm = String(s % 60).padStart(2, '0')
      out.push(`Mon 03/04/2024 ${hh}:${mm}:00.00`, '', 'Active Connections', '', '  Proto  Local Address          Foreign Address        State           PID')
      out.push(tcp('0.0.0.0:445', '0.0.0.0:0', 'LISTENING', 4), tcp('10.1.0.5:445', '10.2.0.9:50123', 'ESTABLISHED', 4))
      for (let i = 0; i < 5 + (s >> 3); i++) out.push(tcp(`0.0.0.0:${52000 + i}`, '0.0.0.0:0', 'BOUND', 5120))
      for (let k = Math.max(0, s - 3); k <= s; k++) {
        const state = k === s ? 'ESTABLISHED' : 'TIME_WAIT'
        for (let i = 0; i < 3; i++) out.push(tcp(`10.1.0.5:${49152 + ((k * 3 + i) % 16000)}`, `10.2.0.8:${443 + i}`, state, k === s ? 20_000 + s : 0))
      }
    }
    const {timeline} = await runAnalysis(tempFiles({'netstat.txt': `${out.join('\r\n')}\r\n`}), {quotes: false})
    expect(timeline.processes.length).toBeGreaterThan(200)
    let outside = 0
    for (const p of timeline.processes) {
      const all = [...Object.values(p.byState), p.udp, p.ports, p.ephemeral, p.timeWaitAttributed, p.timeWaitAffinity]
      for (const v of all) {
        if (!v) continue
        for (let t = 0; t < v.length; t++) if (v[t] !== 0 && (t < p.first || t > p.last)) outside++
        expect(lifePeak(v, p.first, p.last)).toBe(peakOf(v))
      }
    }
    expect(outside).toBe(0)
    // The clients' PID-0 TIME_WAIT rows were attributed to them after they ended: their lives reach past their own rows.
    expect(timeline.processes.some((p) => p.seenLast !== undefined && p.last > p.seenLast)).toBe(true)
  })
})
