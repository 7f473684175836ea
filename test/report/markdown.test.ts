import {type Token, type Tokens, lexer, parse, walkTokens} from 'marked'
import {describe, expect, it} from 'vitest'

import {renderMarkdown} from '../../src/report/markdown.js'
import {FIXTURE, makeFixtureAnalysis} from '../fixtures/analysis-fixture.js'

const SECTIONS = [
  'Verdict',
  'Culprits',
  'Ephemeral ports in use over time',
  'Findings',
  'Corroboration',
  'Dynamic port range',
  'Recommended next steps',
  'Collection quality',
  'Appendix: inputs',
]

const tokens = (md: string) => lexer(md)
const headings = (ts: Token[], depth: number) =>
  ts.filter((t): t is Tokens.Heading => t.type === 'heading' && t.depth === depth).map((t) => t.text)
const tables = (ts: Token[]) => ts.filter((t): t is Tokens.Table => t.type === 'table')
const codes = (ts: Token[], lang?: string) => ts.filter((t): t is Tokens.Code => t.type === 'code' && (lang === undefined || t.lang === lang))

/** The tokens between a level-2 heading and the next one. */
function section(ts: Token[], title: string): Token[] {
  const start = ts.findIndex((t) => t.type === 'heading' && (t as Tokens.Heading).depth === 2 && (t as Tokens.Heading).text === title)
  if (start < 0) return []
  const end = ts.findIndex((t, i) => i > start && t.type === 'heading' && (t as Tokens.Heading).depth === 2)
  return ts.slice(start + 1, end < 0 ? undefined : end)
}

describe('renderMarkdown', () => {
  const md = renderMarkdown(makeFixtureAnalysis())
  const ts = tokens(md)

  it('has a title with the host and time span, then every section in order', () => {
    expect(headings(ts, 1)).toEqual([`Port exhaustion report: ${FIXTURE.host}`])
    expect(md).toContain('2026-01-14 07:00:00 → 12:14:00 (5 h 14 min, 300 snapshots)')
    expect(headings(ts, 2)).toEqual(SECTIONS)
  })

  it('states the verdict and a three-line summary naming the culprit', () => {
    const verdict = section(ts, 'Verdict')
    expect(md).toContain('**EXHAUSTED**')
    const quote = verdict.find((t): t is Tokens.Blockquote => t.type === 'blockquote')
    expect(quote?.tokens.filter((t) => t.type === 'paragraph')).toHaveLength(3)
    expect(quote?.text).toContain('16,384 of 16,384 in use')
    expect(quote?.text).toContain('LeakyAgent.exe')
    expect(quote?.text).toContain('2026-01-14 16:33:04')
  })

  it('lists the culprits in a table with PIDs, now → peak, slope and projected exhaustion', () => {
    const [culprits] = tables(section(ts, 'Culprits'))
    expect(culprits?.header.map((h) => h.text)).toEqual(['Process', 'PID(s)', 'State', 'Now → peak', 'Slope', 'Projected exhaustion', 'Severity'])
    const first = culprits!.rows[0]!.map((c) => c.text)
    expect(first.slice(0, 6)).toEqual(['LeakyAgent.exe', '4312', 'BOUND', '9,000 → 9,000', '+1,710/h', '2026-01-14 16:33:04'])
    expect(culprits!.rows[1]!.map((c) => c.text)[1]).toBe('5120, 6244')
  })

  it('draws a sparkline per charted culprit', () => {
    const sparks = section(ts, 'Culprits').map((t) => t.raw).join('').match(/`[▁▂▃▄▅▆▇█ ]+`/g) ?? []
    expect(sparks).toHaveLength(3)
    expect(sparks[0]!.startsWith('`▁')).toBe(true)
    expect(sparks[0]!.endsWith('█`')).toBe(true)
  })

  it('shows the range use as a table at a handful of snapshots and a sparkline, with no Mermaid by default', () => {
    expect(codes(ts, 'mermaid')).toEqual([])
    const over = section(ts, 'Ephemeral ports in use over time')
    const [t] = tables(over)
    expect(t!.header.map((h) => h.text)).toEqual(['Snapshot', 'Ports in use', 'Of the range', 'LeakyAgent.exe BOUND'])
    expect(t!.rows.length).toBeGreaterThanOrEqual(8)
    expect(t!.rows.length).toBeLessThanOrEqual(9)
    const times = t!.rows.map((r) => r[0]!.text)
    expect(times[0]).toBe('2026-01-14 07:00:00')
    expect([...times].sort()).toEqual(times)
    const analysis = makeFixtureAnalysis()
    const inUse = t!.rows.map((r) => Number(r[1]!.text.replace(/,/g, '')))
    expect(Math.max(...inUse)).toBe(Math.max(...analysis.timeline.ephemeralInUse))
    expect(t!.rows.at(-1)![2]!.text).toBe('100%')
    expect(md).toContain('Times: time (as written, zone unknown).')
    const text = over.map((x) => x.raw).join('')
    expect(text).toMatch(/Trend \(scaled to the peak\): `[▁▂▃▄▅▆▇█ ]{10,60}` [\d,]+ → 16,384, peak 16,384 of 16,384/)
  })

  it('adds a mermaid xychart with --mermaid, after the table, with at most 60 points and the range as a flat line', () => {
    const withChart = renderMarkdown(makeFixtureAnalysis(), {mermaid: true})
    const ts = tokens(withChart)
    expect(withChart.indexOf('```mermaid')).toBeGreaterThan(withChart.indexOf('| Snapshot |'))
    const [chart] = codes(ts, 'mermaid')
    expect(chart?.text.split('\n')[0]).toBe('xychart-beta')
    const labels = /x-axis \[(.*)\]/.exec(chart!.text)![1]!.split(', ')
    const lines = [...chart!.text.matchAll(/line \[(.*)\]/g)].map((m) => m[1]!.split(', ').map(Number))
    expect(labels.length).toBeLessThanOrEqual(60)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toHaveLength(labels.length)
    expect(Math.max(...lines[0]!)).toBe(16_384)
    expect(new Set(lines[1])).toEqual(new Set([16_384]))
    expect(labels[0]).toBe('"07:00"')
  })

  it('shows each finding with a few evidence rows and counts the rest', () => {
    const findings = section(ts, 'Findings')
    expect(headings(findings, 3)).toHaveLength(4)
    expect(headings(findings, 3)[0]).toBe('1. CRITICAL: monotonic growth, LeakyAgent.exe (PID 4312), BOUND')
    const evidence = codes(findings, 'text')[0]!.text
    expect(evidence).toContain('upload.zip!logs/netstat_loop.txt:20  2026-01-14 07:00:00')
    expect(evidence).toContain('10.20.30.41:49700')
    expect(evidence).toContain('… 9 more row(s) …')
    expect(md).toContain('Evidence (14 rows, 5 shown)')
  })

  it('corroborates with handles, dumps and events', () => {
    const c = section(ts, 'Corroboration')
    expect(headings(c, 3)).toEqual(['Handles', 'Memory dumps', 'Events'])
    const [handles, events] = tables(c)
    expect(handles!.rows[0]!.map((r) => r.text)[4]).toBe('70 → 8,747')
    expect(events!.rows.map((r) => r[1]!.text)).toEqual(['4227', '4231', '4231'])
    expect(md).toContain('`upload.zip!dump/netscan.txt` (volatility-netscan)')
  })

  it('says where the dynamic range came from and lists the next steps', () => {
    const range = section(ts, 'Dynamic port range')
    expect(JSON.stringify(range)).toContain('read from netsh output in')
    const steps = section(ts, 'Recommended next steps').find((t): t is Tokens.List => t.type === 'list')
    expect(steps?.ordered).toBe(true)
    expect(steps?.items).toHaveLength(4)
    expect(md).toContain('2. Confirm with `handle.exe -s -p 4312`')
  })

  it('reports sampling, gaps and a corrected collection script without ping', () => {
    const q = section(ts, 'Collection quality')
    expect(JSON.stringify(q)).toContain('300 snapshots, one every 1 min (shortest 1 min, longest 16 min), 1 gap')
    expect(tables(q)[0]!.rows[0]!.map((c) => c.text)).toEqual(['2026-01-14 10:20:00', '16 min'])
    const [script] = codes(q, 'bat')
    expect(script?.text).toContain('timeout /t 60 /nobreak >NUL')
    expect(script?.text).toContain('netstat -anobq')
    expect(script?.text).toContain('Get-Date -Format s')
    expect(script?.text).not.toMatch(/\bping\b/i)
    expect(script?.text).toMatch(/^:loop$/m)
    expect(script?.text).toMatch(/^goto loop$/m)
  })

  it('points out missing -q and -b in the collection', () => {
    const weak = renderMarkdown(makeFixtureAnalysis({withoutBound: true, withoutNames: true}))
    expect(weak).toContain('No BOUND rows at all: the loop ran netstat without `-q`')
    expect(weak).toMatch(/\d+ processes have no image name: run netstat with `-b`/)
    expect(md).not.toContain('No BOUND rows at all')
    expect(md).not.toContain('no image name')
  })

  it('lists every input in the appendix with its SHA-256 and skipped lines by reason', () => {
    const [inputs] = tables(section(ts, 'Appendix: inputs'))
    expect(inputs!.rows).toHaveLength(6)
    const netstat = inputs!.rows[0]!.map((c) => c.text)
    expect(netstat[0]).toBe('upload.zip!logs/netstat\\_loop.txt')
    expect(netstat[4]).toMatch(/^`[0-9a-f]{64}`$/)
    expect(netstat[7]).toBe('901 (ping 600, echo 300, truncated 1)')
  })

  it('renders a healthy case without findings', () => {
    const healthy = renderMarkdown(makeFixtureAnalysis({healthy: true}))
    expect(healthy).toContain('**HEALTHY**')
    expect(healthy).toContain('No findings: no process grew its use of ports or handles.')
    expect(headings(tokens(healthy), 2)).toEqual(SECTIONS)
  })

  it('prints the generation time only when given', () => {
    expect(md).not.toMatch(/Generated by portleak at/)
    expect(renderMarkdown(makeFixtureAnalysis(), {generatedAt: '2026-01-15T09:00:00Z'})).toContain('Generated by portleak at 2026-01-15T09:00:00Z.')
  })

  it('is deterministic', () => {
    expect(renderMarkdown(makeFixtureAnalysis())).toBe(md)
  })
})

describe('renderMarkdown with hostile input', () => {
  const md = renderMarkdown(makeFixtureAnalysis({hostile: true}))
  const html = parse(md, {async: false})

  it('renders hostile names as text, never as HTML', () => {
    const types = new Set<string>()
    walkTokens(tokens(md), (t) => void types.add(t.type))
    expect(types.has('codespan')).toBe(true)
    expect(types.has('html')).toBe(false)
    expect(html).not.toMatch(/<img|<script|<b>x/i)
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
  })

  it('keeps table rows intact when names contain pipes and backticks', () => {
    for (const table of tables(tokens(md))) {
      for (const row of table.rows) expect(row).toHaveLength(table.header.length)
    }
    expect(html).toContain('<td>svc|host`.exe</td>')
  })

  it('keeps evidence rows with backtick runs inside their code block', () => {
    const evidence = codes(tokens(md), 'text')
    expect(evidence.some((c) => c.text.includes('``` </textarea>'))).toBe(true)
    expect(headings(tokens(md), 2)).toEqual(SECTIONS)
  })

  it('shows the CSV-injection name verbatim, not as a link', () => {
    expect(html).toContain('<td>=HYPERLINK(&quot;http://x&quot;)</td>')
    expect(html).not.toContain('<a ')
  })
})
