import {describe, expect, it} from 'vitest'

import {runAnalysis} from '../../src/pipeline.js'
import {stampLine} from '../../src/synth/loop.js'
import {tempFiles} from '../helpers/run.js'

const HEADER = '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n'

/**
 * An hour of `netstat -ano` at one minute: a steady named process, and PID-0 TIME_WAIT rows to one
 * backend nobody could be named for, rising by `perHour` (with a little churn around the line).
 */
function loop(perHour: number, base: number): string {
  const out: string[] = []
  const start = Date.UTC(2024, 2, 11, 6)
  for (let k = 0; k < 60; k++) {
    out.push(stampLine(new Date(start + k * 60_000)), HEADER)
    for (let i = 0; i < 20; i++) out.push(`  TCP    10.0.0.5:${50000 + i}        10.0.0.9:1433          ESTABLISHED     2100\r\n`)
    const n = Math.round(base + (perHour * k) / 60 + ((k * 7) % 5) - 2)
    // Fresh client ports each minute, as TIME_WAIT turns over.
    for (let i = 0; i < n; i++) out.push(`  TCP    10.0.0.5:${52000 + ((k * 997 + i) % 12000)}        10.1.0.10:443          TIME_WAIT       0\r\n`)
  }
  return out.join('')
}

const endpointFinding = async (text: string) => {
  const [file] = tempFiles({'netstat.txt': text})
  const doc = (await runAnalysis([file!], {})).document
  return {doc, f: doc.findings.find((x) => x.kind === 'remote-endpoint-growth')}
}

describe('growth of connections to one endpoint nobody could be named for', () => {
  it('is low while it rises slowly on a small share of the range, whatever its slope', async () => {
    const {doc, f} = await endpointFinding(loop(40, 60))
    expect(f).toBeDefined()
    expect(f!.summary).toMatch(/^connections to 10\.1\.0\.10:443 CONNECTIONS grows/)
    expect(f!.slopePerHour!).toBeGreaterThan(10)
    expect(f!.severity).toBe('low')
    expect(doc.verdict.status).toBe('healthy')
  })

  it('is high when the range would fill within a week at its slope', async () => {
    const {f} = await endpointFinding(loop(300, 60))
    expect(f).toBeDefined()
    expect(['high', 'critical']).toContain(f!.severity)
  })
})
