import {describe, expect, it} from 'vitest'

import type {Finding} from '../../src/model/types.js'
import {runAnalysis} from '../../src/pipeline.js'
import {renderAnalysis} from '../../src/report/analyze-text.js'
import {exportTables} from '../../src/report/export.js'
import {findingFacts} from '../../src/report/facts.js'
import type {Inline} from '../../src/report/prose.js'
import {renderHtml} from '../../src/report/html.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {topPortHolders} from '../../src/report/model.js'
import {buildViewModel} from '../../src/tui/view-model.js'
import {tempFiles} from '../helpers/run.js'

const HEADER = '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n'
const row = (local: string, remote: string, state: string, pid: number, name?: string) =>
  `  TCP    ${local.padEnd(23)}${remote.padEnd(23)}${state.padEnd(16)}${pid}\r\n${name ? ` [${name}]\r\n` : ''}`
const plain: Inline = {text: (s) => s, code: (s) => s, strong: (s) => s}
const EVENT_CSV = (when: string) =>
  [
    'Level,Date and Time,Source,Event ID,Task Category',
    `Warning,${when},Tcpip,4231,None,"A request to allocate an ephemeral port number from the global TCP port space has failed due to all such ports being in use."`,
    '',
  ].join('\r\n')

describe('holder findings in every output', async () => {
  const rows: string[] = []
  for (let i = 0; i < 9000; i++) rows.push(row(`0.0.0.0:${49152 + i}`, '0.0.0.0:0', 'BOUND', 4312, 'LeakyAgent.exe'))
  for (let i = 0; i < 40; i++) rows.push(row(`10.0.0.5:${60000 + i}`, `10.0.0.9:${1000 + i}`, 'ESTABLISHED', 2200, 'svc.exe'))
  const analysis = await runAnalysis(tempFiles({'netstat.txt': `2024-01-15T10:00:00\r\n${HEADER}${rows.join('')}`}), {})

  it('analyze names the holder and its share', () => {
    const out = renderAnalysis(analysis.document)
    expect(out).toMatch(/^AT RISK/)
    expect(out).toMatch(/critical\s+LeakyAgent\.exe\s+4312\s+BOUND/)
    expect(out).toMatch(/LeakyAgent\.exe \(PID 4312\) holds 9,000 of 16,384 dynamic ports \(54\.9%\)/)
  })

  it('report (markdown and HTML) names the holder as the largest holder, not as a growth', () => {
    const md = renderMarkdown(analysis)
    expect(md).toMatch(/Largest holder: \*\*LeakyAgent\.exe\*\* \(PID 4312\), which holds 9,000 of 16,384 dynamic ports \(55%\)/)
    expect(md).toMatch(/Share of the range: 9,000 \(54\.9%\) at the peak/)
    expect(md).not.toMatch(/grew from|will leak again/)
    const html = renderHtml(analysis)
    expect(html).toContain('LeakyAgent.exe')
    expect(html).toMatch(/Largest holder/)
  })

  it('export lists the holder finding with its shares', () => {
    const t = exportTables(analysis).findings
    const r = [...t.rows].find((x) => x.kind === 'port-holder')!
    expect(r).toMatchObject({pid: 4312, process: 'LeakyAgent.exe', holder_share_peak: 0.549, holder_share_last: 0.549, ports_unknown: false})
  })

  it('timeline flags the holder process', () => {
    const vm = buildViewModel(analysis)
    const p = vm.procs.find((x) => x.series.pid === 4312)!
    expect(p.findings.map((f) => f.kind)).toEqual(['port-holder'])
    expect(p.flag).toMatch(/^crit /)
    expect(p.sevRank).toBe(0)
  })
})

describe('sentences backed by computed facts', () => {
  it('an EXHAUSTED -anobq loop with BOUND rows does not blame BOUND sockets netstat cannot see', async () => {
    const snap = (t: string) =>
      `${t}\r\n${HEADER}${row('0.0.0.0:49152', '0.0.0.0:0', 'BOUND', 4312, 'LeakyAgent.exe')}${row('10.0.0.5:50000', '10.0.0.9:443', 'ESTABLISHED', 2200, 'svc.exe')}`
    const analysis = await runAnalysis(
      tempFiles({'netstat.txt': ['2023-03-14T09:30:00', '2023-03-14T09:35:00', '2023-03-14T09:40:00'].map(snap).join(''), 'events.csv': EVENT_CSV('3/14/2023 9:38:12 AM')}),
      {},
    )
    expect(analysis.document.verdict.status).toBe('exhausted')
    const md = renderMarkdown(analysis)
    expect(md).not.toMatch(/BOUND sockets without netstat -q/)
    expect(md).toMatch(/the cause is unknown/)
  })

  it('shows which estimate a slope is when it lies outside its interval', () => {
    const f = {
      kind: 'sawtooth-growth', pid: 1, pids: [1, 2], process: 'a.exe', state: 'BOUND', severity: 'high', slopePerHour: 599, slopeLow: 600, slopeHigh: 622,
      first: 0, last: 9, growthStart: null, start: 1, now: 9, peak: 9, pValue: 0.001, projectedExhaustion: null, attribution: 'owner', summary: '', evidence: [],
    } satisfies Finding
    expect(findingFacts(f, plain).join('\n')).toMatch(/Slope: \+599\/h \(a different estimate than the interval: 95% interval \+600\/h to \+622\/h\)/)
    const saw = findingFacts({...f, slopeEstimate: "median of 2 restart runs' slopes; the interval is the last run's"}, plain).join('\n')
    expect(saw).toMatch(/Slope: \+599\/h \(median of 2 restart runs' slopes/)
    expect(findingFacts({...f, slopePerHour: 610}, plain).join('\n')).toMatch(/Slope: \+610\/h \(95% interval \+600\/h to \+622\/h\)/)
  })

  it('shows ports now only for processes in the last snapshot', async () => {
    const snap = (t: string, withGone: boolean) =>
      `${t}\r\n${HEADER}${row('10.0.0.5:50000', '10.0.0.9:443', 'ESTABLISHED', 2200, 'svc.exe')}${withGone ? row('10.0.0.5:50001', '10.0.0.9:443', 'ESTABLISHED', 3300, 'gone.exe') : ''}`
    const analysis = await runAnalysis(
      tempFiles({'netstat.txt': [snap('2024-01-15T10:00:00', true), snap('2024-01-15T11:00:00', true), snap('2024-01-15T14:00:00', false)].join('')}),
      {},
    )
    const top = topPortHolders(analysis)
    expect(top.find((x) => x.p.pid === 3300)!.now).toBeNull()
    expect(top.find((x) => x.p.pid === 2200)!.now).toBe(1)
    expect(analysis.document.processes.find((p) => p.pid === 3300)!.now).toEqual({})
    expect(renderMarkdown(analysis)).toMatch(/\| gone\.exe \| 3300 \|.*\| 1 \| gone \|/)
  })
})
