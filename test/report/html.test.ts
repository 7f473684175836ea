import {describe, expect, it} from 'vitest'

import {CSP, renderHtml} from '../../src/report/html.js'
import {SCRIPT} from '../../src/report/html-style.js'
import {FIXTURE, makeFixtureAnalysis} from '../fixtures/analysis-fixture.js'

const VOID = new Set(['meta', 'link', 'br', 'hr', 'img', 'input', 'col', 'area', 'base', 'wbr', 'source'])

/** Checks that every element is closed in order (HTML void elements and `/>` excepted); returns the problems. */
function unbalanced(markup: string): string[] {
  const problems: string[] = []
  const stack: string[] = []
  // script and style bodies are raw text: drop them before scanning tags
  const body = markup.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/g, '')
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)\b[^<>]*?(\/?)>/g)) {
    const [, close, rawName, selfClose] = m
    const name = rawName!.toLowerCase()
    if (selfClose || (!close && VOID.has(name))) continue
    if (!close) stack.push(name)
    else if (stack.pop() !== name) problems.push(`unexpected </${name}> at ${m.index}`)
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(', ')}`)
  return problems
}

const svgs = (html: string) => html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? []
/** The chart whose accessible title starts with `title`. */
const chart = (html: string, title: string) => svgs(html).find((s) => s.includes(`<title>${title}`)) ?? ''
const EPHEMERAL = 'Dynamic TCP ports in use over time'
/** The `d` of the ephemeral ports line. */
const mainPath = (html: string) => /<path class="series main" d="([^"]*)"/.exec(chart(html, EPHEMERAL))?.[1] ?? ''

describe('renderHtml', () => {
  const html = renderHtml(makeFixtureAnalysis())

  it('is one self-contained document that references nothing outside itself', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true)
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/\bsrc\s*=/i)
    expect(html).not.toMatch(/<link\b/i)
    expect(html).not.toMatch(/url\(/i)
    expect(html).not.toMatch(/@import/i)
    expect(html).not.toMatch(/xmlns/)
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`)
    expect(CSP).toMatch(/^default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:/)
  })

  it('has one inline script, the fixed enhancement script with no input in it', () => {
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!.trim())
    expect(scripts).toEqual([SCRIPT])
    expect((html.match(/<script/g) ?? []).length).toBe(1)
  })

  it('has the same sections as the markdown report', () => {
    const h2 = [...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1])
    expect(h2).toEqual([
      'Verdict', 'Culprits', 'Ports over time', 'Findings', 'Corroboration', 'Dynamic port range',
      'Recommended next steps', 'Collection quality', 'Appendix: inputs',
    ])
    expect(html).toContain(`<h1>Port exhaustion report: ${FIXTURE.host}</h1>`)
    expect(html).toContain('<span class="badge exhausted">EXHAUSTED</span>')
    expect(html).toContain('timeout /t 60 /nobreak &gt;NUL')
  })

  it('is well-formed: every element and every SVG is balanced', () => {
    expect(unbalanced(html)).toEqual([])
    const charts = svgs(html)
    expect(charts.length).toBe(5) // ephemeral, states, three culprit small multiples
    for (const svg of charts) expect(unbalanced(svg)).toEqual([])
  })

  it('draws the range limit, the event markers and a hover title per sample', () => {
    const ephemeral = chart(html, EPHEMERAL)
    expect(ephemeral).toContain('range: 16,384 ports')
    expect((ephemeral.match(/<g class="marker">/g) ?? []).length).toBe(3)
    expect(ephemeral).toContain('event 4231 (Tcpip): A request to allocate an ephemeral port number')
    const hits = /<g class="hits">([\s\S]*?)<\/g>/.exec(ephemeral)![1]!
    expect((hits.match(/<title>/g) ?? []).length).toBe(300)
    expect(hits).toContain('<title>2026-01-14 07:00:00: 1,852 of 16,384 in use on 10.20.30.41</title>')
  })

  it('stacks the states and shows the trend and the dashed projection per culprit', () => {
    const states = chart(html, 'TCP rows by state over time (stacked)')
    expect((states.match(/<polygon /g) ?? []).length).toBe(5 * 2) // 5 states × 2 runs (one sampling gap)
    const leaky = chart(html, 'LeakyAgent.exe (PID 4312): BOUND over time')
    expect(leaky).toMatch(/<line class="trend" /)
    expect(leaky).toMatch(/<line class="projection" /)
    expect(html).toContain('projection to exhaustion (2026-01-14 16:33:04)')
  })

  it('breaks lines at sampling gaps and missing times instead of interpolating', () => {
    expect(mainPath(html).match(/M/g)).toHaveLength(2) // one 16-minute gap
    expect(chart(html, EPHEMERAL)).toContain('<rect class="gap"')
    const holes = renderHtml(makeFixtureAnalysis({nullTimes: [50, 51, 120]}))
    expect(mainPath(holes).match(/M/g)).toHaveLength(4)
    const none = renderHtml(makeFixtureAnalysis({gapAfter: null}))
    expect(mainPath(none).match(/M/g)).toHaveLength(1)
    expect(chart(none, EPHEMERAL)).not.toContain('class="gap"')
  })

  it('renders a report without any time stamps by snapshot number', () => {
    const untimed = makeFixtureAnalysis({gapAfter: null})
    untimed.timeline.times = untimed.timeline.times.map(() => null)
    const out = renderHtml(untimed)
    expect(unbalanced(out)).toEqual([])
    expect(mainPath(out).match(/M/g)).toHaveLength(1)
    expect(out).toContain('>#100<')
    expect(out).not.toContain('NaN')
  })

  it('has a print stylesheet that keeps charts on one page', () => {
    const print = /@media print\{([\s\S]*?)\n\}/.exec(html)?.[1] ?? ''
    expect(print).toMatch(/\.figure[^{]*\{[^}]*break-inside:avoid/)
  })

  it('marks numeric cells for sorting', () => {
    expect(html).toContain('<table class="sortable">')
    expect(html).toContain('<td class="num" data-v="4312">4312</td>')
  })

  it('is deterministic and prints a generation time only when given', () => {
    expect(renderHtml(makeFixtureAnalysis())).toBe(html)
    expect(html).toContain('<footer>Generated by portleak.</footer>')
    expect(renderHtml(makeFixtureAnalysis(), {generatedAt: '2026-01-15T09:00:00Z'})).toContain('Generated by portleak at 2026-01-15T09:00:00Z.')
  })

  it('renders a healthy case', () => {
    const healthy = renderHtml(makeFixtureAnalysis({healthy: true}))
    expect(healthy).toContain('<span class="badge healthy">HEALTHY</span>')
    expect(unbalanced(healthy)).toEqual([])
    expect(svgs(healthy)).toHaveLength(2)
  })
})

describe('renderHtml with hostile input', () => {
  const html = renderHtml(makeFixtureAnalysis({hostile: true}))

  it('escapes every hostile string in text and attributes', () => {
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<script>window')
    expect(html).not.toContain('</textarea>')
    expect(html).not.toContain('<b>x</b>')
    expect(html).not.toMatch(/"><script/)
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(html).toContain('=HYPERLINK(&quot;http://x&quot;)')
    expect(html).toContain('upload.zip!logs/&quot;a&amp;b&quot;&lt;/script&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;.txt')
    expect(html).toContain('<title>Port exhaustion report: WEB-PROD-07&quot;&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;</title>')
  })

  it('mentions http:// only inside the escaped CSV-injection name', () => {
    const withoutName = html.replaceAll('=HYPERLINK(&quot;http://x&quot;)', '')
    expect(withoutName).not.toMatch(/https?:\/\//)
  })

  it('stays well-formed with one script element', () => {
    expect(unbalanced(html)).toEqual([])
    expect((html.match(/<script/g) ?? []).length).toBe(1)
    expect((html.match(/<\/script>/g) ?? []).length).toBe(1)
  })
})
