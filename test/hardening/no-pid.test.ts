import {describe, expect, it} from 'vitest'

import {pidCell, pidLabel, pidSubject} from '../../src/model/pid-label.js'
import type {Analysis} from '../../src/model/types.js'
import {runAnalysis} from '../../src/pipeline.js'
import {renderAnalysis} from '../../src/report/analyze-text.js'
import {exportTables, toCsv} from '../../src/report/export.js'
import {renderHtml} from '../../src/report/html.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {deriveDetail} from '../../src/tui/detail-model.js'
import {buildViewModel} from '../../src/tui/view-model.js'
import {tempTree} from './helpers.js'

/** `netstat -an` in a timestamped loop: no PID column; CLOSE_WAIT rows grow by 60 a minute. */
function netstatAnLoop(snapshots = 30): string {
  const header = '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State\r\n'
  const row = (port: number, state: string) => `  TCP    10.0.0.5:${port}`.padEnd(32) + '10.0.0.9:443'.padEnd(23) + `${state}\r\n`
  let out = ''
  for (let i = 0; i < snapshots; i++) {
    out += `14/03/2023 10:${String(i).padStart(2, '0')}:00.00 \r\n${header}`
    for (let k = 0; k < 40 + i * 60; k++) out += row(50000 + k, 'CLOSE_WAIT')
    for (let k = 0; k < 10; k++) out += row(60000 + k, 'ESTABLISHED')
  }
  return out
}

describe('rows of netstat -an, which has no PID column', () => {
  let analysis: Promise<Analysis> | undefined
  const run = () => (analysis ??= runAnalysis([tempTree({'netstat.txt': netstatAnLoop()})], {}))

  it('say "no PID collected" in analyze, markdown, HTML and the timeline, never PID -1', async () => {
    const a = await run()
    expect(a.document.findings.some((f) => f.kind === 'monotonic-growth' && f.state === 'CLOSE_WAIT')).toBe(true)
    const vm = buildViewModel(a)
    const detail = vm.procs.flatMap((p) => deriveDetail(vm, p, 0, 100).map((l) => l.map((s) => s.text).join(''))).join('\n')
    for (const text of [renderAnalysis(a.document), renderMarkdown(a), renderHtml(a), detail]) {
      expect(text).not.toMatch(/PID -1|PID null|\(-1\)/)
      expect(text).toMatch(/no PID collected/)
    }
    // the next step asks for the PID column, not for names of PIDs it does not have
    expect(a.document.nextSteps.some((s) => s.includes('netstat -anoq') && s.includes('no PID'))).toBe(true)
    expect(a.document.nextSteps.join('\n')).not.toMatch(/known by PID only/)
  })

  it('keep -1 in the JSON document and in the CSV export (machine-readable contract)', async () => {
    const a = await run()
    expect(a.document.processes.map((p) => p.pid)).toContain(-1)
    const csv = toCsv(exportTables(a).process_states)
    expect(csv.split('\r\n')[1]).toMatch(/^0,2023-03-14T10:00:00\.000,-1,,/)
  })
})

describe('PID labels', () => {
  it('name PIDs, a list of PIDs, none collected and a folded short-lived series', () => {
    expect(pidLabel(4312)).toBe('PID 4312')
    expect(pidLabel([4312, 5120])).toBe('PID 4312, 5120')
    expect(pidLabel(-1)).toBe('no PID collected')
    expect(pidLabel([-1])).toBe('no PID collected')
    expect(pidLabel(-1, 'w3wp.exe (short-lived)')).toBe('several PIDs')
    expect(pidSubject(0)).toBe('PID 0')
    expect(pidSubject(-1)).toBe('(no PID collected)')
    expect(pidCell(-1)).toBe('not collected')
    expect(pidCell([])).toBe('–')
    expect(pidCell([7, 8])).toBe('7, 8')
  })
})
