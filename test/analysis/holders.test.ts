import {describe, expect, it} from 'vitest'

import {analyzeCase} from '../../src/analysis/analyze.js'
import {exactMannKendall, handleTrend, HANDLE_MIN_SAMPLES} from '../../src/analysis/corroborate.js'
import {culpritSteps} from '../../src/analysis/verdict.js'
import {CaseBuilder} from '../../src/model/case-builder.js'
import type {AnalysisDocument, Finding} from '../../src/model/types.js'
import {runAnalysis} from '../../src/pipeline.js'
import {analyzeScenario, tempFiles} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'

const HEADER = '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n'
const row = (local: string, remote: string, state: string, pid: number) => `  TCP    ${local.padEnd(23)}${remote.padEnd(23)}${state.padEnd(16)}${pid}\r\n`

/** One `netstat -anoq` taken at the moment of failure. */
function oneNetstat(rows: string[]): string {
  return HEADER + rows.join('')
}

const text = (doc: AnalysisDocument) => [...doc.verdict.evidence, ...doc.findings.map((f) => f.summary), ...doc.nextSteps].join('\n')
const NO_GROWTH_WORDS = /\bgrows?\b|will leak again|fills the range by/

async function analyze(files: Record<string, string>) {
  return (await runAnalysis(tempFiles(files), {})).document
}

describe('holders from a single look', () => {
  it('names the PID holding 15,800 BOUND of 16,384 ports in one netstat -anoq, without calling it growth', async () => {
    const rows: string[] = []
    for (let i = 0; i < 15_800; i++) rows.push(row(`0.0.0.0:${49152 + i}`, '0.0.0.0:0', 'BOUND', 4312))
    for (let i = 0; i < 500; i++) rows.push(row(`10.0.0.5:${49152 + 15_800 + i}`, `10.0.0.9:${1000 + i}`, 'ESTABLISHED', 2200 + (i % 5)))
    const doc = await analyze({'netstat.txt': oneNetstat(rows)})
    expect(doc.verdict.status).toBe('exhausted')
    const holder = doc.findings.find((f) => f.kind === 'port-holder')!
    expect(holder).toMatchObject({pid: 4312, state: 'BOUND', severity: 'critical', slopePerHour: null, projectedExhaustion: null})
    expect(holder.holder!.peak.ports).toBe(15_800)
    expect(holder.holder!.peak.share).toBeCloseTo(15_800 / 16_384, 3)
    expect(doc.findings[0]).toBe(holder)
    expect(doc.verdict.evidence[0]).toMatch(/^EXHAUSTED: .*PID 4312/)
    expect(text(doc)).not.toMatch(NO_GROWTH_WORDS)
    expect(doc.nextSteps[0]).toMatch(/^Restart PID 4312 .*cannot tell whether it takes them again/)
  })

  it('counts 15,500 PID-0 TIME_WAIT rows for the owner of their remote, with TIME_WAIT advice and no restart', async () => {
    const rows = [row('10.0.0.5:65000', '10.1.1.1:443', 'ESTABLISHED', 5555), row('0.0.0.0:135', '0.0.0.0:0', 'LISTENING', 900)]
    for (let i = 0; i < 15_500; i++) rows.push(row(`10.0.0.5:${49152 + i}`, '10.1.1.1:443', 'TIME_WAIT', 0))
    const doc = await analyze({'netstat.txt': oneNetstat(rows)})
    expect(doc.attribution.timeWait.remoteAffinity).toBe(15_500)
    const holder = doc.findings.find((f) => f.kind === 'port-holder')!
    expect(holder).toMatchObject({pid: 5555, state: 'TIME_WAIT', severity: 'critical', attribution: 'remote-affinity', remote: '10.1.1.1:443'})
    expect(holder.holder!.peak.timeWaitAttributed).toBe(15_500)
    expect(doc.verdict.status).toBe('at-risk')
    expect(doc.nextSteps.join('\n')).not.toMatch(/Restart/)
    expect(doc.nextSteps.join('\n')).toMatch(/TcpTimedWaitDelay/)
    expect(doc.nextSteps.join('\n')).toMatch(/survive a restart/)
    expect(doc.nextSteps.join('\n')).toMatch(/pooling/)
    expect(doc.nextSteps.join('\n')).toMatch(/10\.1\.1\.1:443 is being hammered/)
  })

  it('counts Group-Object rows toward range use and says the ports are unknown', async () => {
    const group = [
      'Count Name               ProcessName        Group',
      '----- ----               -----------        -----',
      ' 2260 Bound, 10684       Agent              {MSFT_NetTCPConnection (InstanceID = "0.0.0.0++58430++0.0.0.0++0")...',
      '  120 Established, 2200  svc                {MSFT_NetTCPConnection (InstanceID = "10.0.0.5++50001++10.0.0.9++443")...',
      '    9 Listen, 1056       svchost            {MSFT_NetTCPConnection (InstanceID = "::++135++::++0")...',
      '',
    ].join('\r\n')
    const doc = await analyze({'group.txt': group})
    expect(doc.verdict.peakUtilization).toBeCloseTo((2260 + 120) / 16_384, 3)
    const holder = doc.findings.find((f) => f.kind === 'port-holder')!
    expect(holder).toMatchObject({pid: 10684, state: 'BOUND', severity: 'medium'})
    expect(holder.holder!.portsUnknown).toBe(true)
    expect(holder.summary).toMatch(/which ports they hold is unknown/)
    expect(doc.verdict.evidence.join('\n')).toMatch(/which ports they hold is unknown/)
  })

  it('gives a high-handle-count finding from one dump-like listing of 12,000 \\Device\\Afd handles', () => {
    const c = new CaseBuilder(null)
    const sink = c.sinkFor('app.dmp', 'windbg-handle')
    sink.snapshot({line: 1, stamp: null})
    sink.process({pid: 7000, name: 'Collector.exe', ppid: null, handles: 12_040, threads: 12, created: null, exited: null, line: 2} as never)
    sink.handleCount({pid: 7000, process: 'Collector.exe', total: 12_040, afd: null, byType: null, line: 3})
    for (let i = 0; i < 12_000; i++) sink.handle({pid: 7000, process: 'Collector.exe', type: 'File', name: '\\Device\\Afd', afd: true, line: 10 + i})
    for (let i = 0; i < 40; i++) sink.handle({pid: 7000, process: 'Collector.exe', type: 'Event', name: '', afd: false, line: 20_000 + i})
    sink.finish()
    const doc = analyzeCase(c, [], {flagRange: null, tz: (s) => s}).document
    const f = doc.findings.find((x) => x.kind === 'high-handle-count')!
    expect(f).toMatchObject({pid: 7000, process: 'Collector.exe', peak: 12_040, afd: 12_000, samples: 1, severity: 'high'})
    expect(f.summary).toMatch(/Collector\.exe holds 12,040 handles in one listing \(over 10,000\), 12,000 of them \\Device\\Afd \(sockets/)
    expect(doc.verdict.status).toBe('healthy')
    expect(doc.verdict.evidence[0]).toMatch(/range use is unknown/)
    expect(text(doc)).not.toMatch(NO_GROWTH_WORDS)
    expect(doc.nextSteps.join('\n')).not.toMatch(/Restart/)
    // over 10,000 is the guide's mark when outbound connections fail: said when events show failures
    c.addEvent({id: 4231, source: 'Tcpip', time: null, level: 'Warning', computer: null, message: 'ephemeral port allocation failed', line: 1} as never, sink.inputIndex)
    const failing = analyzeCase(c, [], {flagRange: null, tz: (s) => s}).document
    expect(failing.findings.find((x) => x.kind === 'high-handle-count')!.summary).toMatch(/over 10,000, with outbound connections failing/)
  })

  it('does not call a single Get-Process table a growth, nor order a restart next to HEALTHY', async () => {
    const ps = [
      ' NPM(K)    PM(M)      WS(M)     CPU(s)      Id  SI ProcessName',
      ' ------    -----      -----     ------      --  -- -----------',
      '     62   412.50     401.31   1,873.66    4312   0 LeakyAgent',
      '     27    22.47      40.96       1.42   13256   1 ApplicationFrameHost',
      '',
    ].join('\r\n')
    const handles = [
      'Handles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName',
      '-------  ------    -----      -----     ------     --  -- -----------',
      '   8412      62   422400     410940   1,873.66   4312   0 LeakyAgent',
      '    411      27    23010      41940       1.42  13256   1 ApplicationFrameHost',
      '',
    ].join('\r\n')
    const doc = await analyze({'ps.txt': `${handles}\r\n${ps}`})
    const f = doc.findings.find((x) => x.kind === 'high-handle-count')!
    expect(f).toMatchObject({pid: 4312, samples: 1, severity: 'medium'})
    expect(doc.verdict.status).toBe('healthy')
    expect(text(doc)).not.toMatch(NO_GROWTH_WORDS)
    expect(doc.nextSteps.join('\n')).not.toMatch(/Restart|will leak again/)
    expect(doc.nextSteps[0]).toMatch(/^Watch LeakyAgent/)
  })
})

describe('holders beside growth', () => {
  it('shows a growth and a holder finding about the same process once, the growth carrying the share', async () => {
    const [, ...rest] = SCENARIOS.boundLeak.processes
    const {document: doc} = await analyzeScenario({
      ...SCENARIOS.boundLeak,
      processes: [{pid: 4312, name: 'LeakyAgent.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 6000}}, ...rest],
    })
    const about = doc.findings.filter((f) => f.process === 'LeakyAgent.exe' && f.pids.includes(4312) && f.state === 'BOUND')
    expect(about.map((f) => f.kind)).toEqual(['monotonic-growth'])
    expect(about[0]!.holder!.peak.ports).toBeGreaterThan(0)
    expect(about[0]!.summary).toMatch(/; holds [\d,]+ of [\d,]+ dynamic ports/)
    expect(doc.findings.some((f) => f.kind === 'port-holder' && f.pid === 4312)).toBe(false)
  })
})

describe('TIME_WAIT culprits', () => {
  it('are never told to restart when a TIME_WAIT series grows', async () => {
    const {document: doc} = await analyzeScenario(SCENARIOS.timeWaitLeak)
    const top = doc.findings.find((f) => f.process !== null || f.pid !== null)!
    expect(top).toMatchObject({pid: 2200, state: 'TIME_WAIT'})
    expect(doc.nextSteps.join('\n')).not.toMatch(/Restart/)
    expect(culpritSteps(top, 'at-risk').join('\n')).toMatch(/expire after TcpTimedWaitDelay .* survive a restart/)
  })
})

describe('handle series with few samples', () => {
  const loop = (afd: number[]) =>
    afd
      .map((n, i) => {
        const lines = [`14.01.2026  9:${String(50 + i).padStart(2, '0')}:00,11 `, '-'.repeat(78), 'LeakyAgent.exe pid: 4312 CONTOSO\\svc-leaky', '    4: Event         ']
        for (let k = 0; k < n; k++) lines.push(`  ${(0x100 + k * 4).toString(16).toUpperCase()}: File  (---)   \\Device\\Afd`)
        return `${lines.join('\r\n')}\r\n\r\n`
      })
      .join('')

  it('finds \\Device\\Afd handles climbing 4 → 38 over six handle.exe samples', async () => {
    const doc = await analyze({'handles.txt': loop([4, 9, 15, 22, 30, 38])})
    const f = doc.findings.find((x) => x.kind === 'afd-growth')!
    expect(f).toMatchObject({pid: 4312, start: 4, now: 38, samples: 6})
    expect(f.pValue).toBeLessThanOrEqual(0.01)
    expect(f.slopePerHour).toBeGreaterThan(0)
  })

  it('does not call a flat or falling handle loop growth', async () => {
    const doc = await analyze({'handles.txt': loop([20, 22, 19, 21, 20, 18])})
    expect(doc.findings.filter((x) => x.kind === 'afd-growth' || x.kind === 'handle-growth')).toEqual([])
  })

  it('is honest at 5 and 6 samples: over every ordering of distinct values, at most 1% are called growth', () => {
    expect(HANDLE_MIN_SAMPLES).toBe(5)
    for (const n of [5, 6]) {
      const values = Array.from({length: n}, (_, i) => i * 3 + 1)
      const times = values.map((_, i) => i * 120_000)
      let flagged = 0
      let total = 0
      const permute = (a: number[], k: number) => {
        if (k === a.length) {
          total++
          if (handleTrend(times, a).grows) flagged++
          return
        }
        for (let i = k; i < a.length; i++) {
          ;[a[k], a[i]] = [a[i]!, a[k]!]
          permute(a, k + 1)
          ;[a[k], a[i]] = [a[i]!, a[k]!]
        }
      }
      permute([...values], 0)
      expect(flagged / total).toBeLessThanOrEqual(0.01)
      expect(flagged).toBeGreaterThan(0)
    }
  })

  it('computes the exact Mann-Kendall tail with ties', () => {
    expect(exactMannKendall([1, 2, 3, 4, 5]).pValue).toBeCloseTo(1 / 120, 10)
    // ties: [1,1,2] has S = 2; orderings with S ≥ 2 are the two that put 2 last
    expect(exactMannKendall([1, 1, 2])).toEqual({s: 2, pValue: 2 / 6})
  })
})

describe('verdicts and next steps that follow from the evidence', () => {
  const growth = (over: Partial<Finding>): Finding => ({
    kind: 'monotonic-growth', pid: 1200, pids: [1200], process: 'sqlservr.exe', state: 'ESTABLISHED', severity: 'medium',
    slopePerHour: 12, slopeLow: 5, slopeHigh: 20, first: 0, last: 30, growthStart: null, start: 84, now: 110, peak: 120,
    pValue: 0.001, projectedExhaustion: null, attribution: 'owner', summary: 'sqlservr.exe ESTABLISHED grows 12/h: 84 → 110, peak 120', evidence: [], samples: 31,
    ...over,
  })

  it('says watch, not restart, when the verdict is HEALTHY', () => {
    const steps = culpritSteps(growth({}), 'healthy')
    expect(steps[0]).toMatch(/^Watch sqlservr\.exe/)
    expect(steps.join('\n')).not.toMatch(/Restart|will leak again/)
  })

  it('restarts and reports a measured growth when the range is at risk, but never for TIME_WAIT', () => {
    expect(culpritSteps(growth({}), 'at-risk')[0]).toMatch(/^Restart sqlservr\.exe .*will leak again/)
    const tw = culpritSteps(growth({state: 'TIME_WAIT', pid: 5555, pids: [5555], process: null}), 'exhausted').join('\n')
    expect(tw).not.toMatch(/Restart/)
    expect(tw).toMatch(/TcpTimedWaitDelay/)
  })

  it('never orders a restart of the kernel (System, PID 4)', () => {
    const steps = culpritSteps(growth({kind: 'port-holder', pid: 4, pids: [4], process: 'System', state: 'BOUND', samples: 1}), 'exhausted').join('\n')
    expect(steps).not.toMatch(/Restart/)
    expect(steps).toMatch(/System \(PID 4\) is the kernel/)
  })

  it('drops a growth whose last value ends below its start', async () => {
    // ESTABLISHED rises 110 → 200 over 30 snapshots, then falls back to 100 over 11: a trend test may still
    // rank the rise up, but the series ends below its start (a gradual fall, not a cut-off last snapshot)
    const snaps: string[] = []
    const counts = [...Array.from({length: 30}, (_, i) => 110 + Math.round(i * 3.1)), ...Array.from({length: 11}, (_, i) => 200 - (i + 1) * 9)]
    counts.forEach((n, t) => {
      const rows = Array.from({length: n}, (_, i) => row(`10.0.0.5:${50000 + i}`, `10.0.0.9:${1433}`, 'ESTABLISHED', 1200).replace('1200\r\n', '1200\r\n [sqlservr.exe]\r\n'))
      const stamp = `2024-01-15T${String(10 + Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}:00`
      snaps.push(`${stamp}\r\n${HEADER}${rows.join('')}`)
    })
    const doc = await analyze({'loop.txt': snaps.join('')})
    for (const f of doc.findings) if (f.kind.endsWith('growth')) expect(f.now).toBeGreaterThan(f.start)
    expect(doc.findings.some((f) => f.kind === 'monotonic-growth' && f.process === 'sqlservr.exe')).toBe(false)
  })

  it('reports events outside the snapshots with the gap and does not call the range exhausted on them', async () => {
    const events = [
      'Level,Date and Time,Source,Event ID,Task Category',
      'Warning,3/14/2023 9:40:55 AM,Tcpip,4231,None,"A request to allocate an ephemeral port number from the global TCP port space has failed due to all such ports being in use."',
      'Warning,3/10/2023 2:05:12 PM,Tcpip,4231,None,"A request to allocate an ephemeral port number from the global TCP port space has failed due to all such ports being in use."',
      '',
    ].join('\r\n')
    const loop = ['2023-03-17T10:00:00', '2023-03-17T10:01:00'].map((s) => `${s}\r\n${oneNetstat([row('10.0.0.5:50000', '10.0.0.9:443', 'ESTABLISHED', 900)])}`).join('')
    const doc = await analyze({'events.csv': events, 'netstat.txt': loop})
    expect(doc.verdict.status).toBe('healthy')
    const line = doc.verdict.evidence.find((e) => e.includes("outside the snapshots'"))!
    expect(line).toMatch(/2 × Tcpip event 4231 .*outside the snapshots' time range, first at 2023-03-10T14:05:12/)
    expect(line).toMatch(/the nearest 3 d 0 h before the first snapshot/)
    expect(doc.events.map((e) => e.time)).toEqual([...doc.events.map((e) => e.time)].sort())
  })

  it('orders events newest-first in an Event Viewer export by time: first at is the earliest', async () => {
    const events = [
      'Level,Date and Time,Source,Event ID,Task Category',
      'Warning,3/14/2023 9:40:55 AM,Tcpip,4231,None,"A request to allocate an ephemeral port number from the global TCP port space has failed due to all such ports being in use."',
      'Warning,3/12/2023 8:00:00 AM,Tcpip,4231,None,"A request to allocate an ephemeral port number from the global TCP port space has failed due to all such ports being in use."',
      'Warning,3/10/2023 2:05:12 PM,Tcpip,4231,None,"A request to allocate an ephemeral port number from the global TCP port space has failed due to all such ports being in use."',
      '',
    ].join('\r\n')
    const doc = await analyze({'events.csv': events})
    expect(doc.verdict.status).toBe('exhausted')
    expect(doc.verdict.evidence.join('\n')).toMatch(/3 × Tcpip event 4231 \(TCP ephemeral ports exhausted\), first at 2023-03-10T14:05:12(\.000)?, last at 2023-03-14T09:40:55/)
    expect(doc.events.map((e) => e.time)).toEqual(['2023-03-10T14:05:12.000', '2023-03-12T08:00:00.000', '2023-03-14T09:40:55.000'])
    expect(doc.nextSteps.join('\n')).toMatch(/cause is unknown/)
  })
})
