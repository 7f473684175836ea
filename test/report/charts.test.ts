import {describe, expect, it} from 'vitest'

import {culpritChart, ephemeralChart, statesChart} from '../../src/report/charts.js'
import {formatInt} from '../../src/report/format.js'
import {buildReportModel} from '../../src/report/model.js'
import {analyzeScenario} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'

/** The y tick labels of a chart, as numbers. */
const yTicks = (svg: string) => [...svg.matchAll(/<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="end"[^>]*>([\d,]+)<\/text>/g)].map((m) => Number(m[1]!.replace(/,/g, '')))

describe('chart axes', () => {
  it('titles the y axis with its unit and says the time zone on the x axis', async () => {
    const plain = await analyzeScenario(SCENARIOS.boundLeak)
    const model = buildReportModel(plain)
    expect(ephemeralChart(plain, model)).toMatch(/<text class="ytitle"[^>]*transform="rotate\(-90[^>]*>ports<\/text>/)
    expect(ephemeralChart(plain, model)).toContain('<text class="xlabel"')
    expect(ephemeralChart(plain, model)).toContain('>time (as written, zone unknown)</text>')
    expect(statesChart(plain, model)).toMatch(/class="ytitle"[^>]*>rows<\/text>/)
    const zoned = await analyzeScenario(SCENARIOS.boundLeak, {tz: '+01:00'})
    expect(ephemeralChart(zoned, buildReportModel(zoned))).toContain('>time (UTC+01:00)</text>')
    const utc = await analyzeScenario(SCENARIOS.boundLeak, {tz: 'UTC'})
    expect(ephemeralChart(utc, buildReportModel(utc))).toContain('>time (UTC)</text>')
  })
})

describe('culprit charts', () => {
  it('scale to the culprit, leave a far range limit off and write the exhaustion as text', async () => {
    const a = await analyzeScenario(SCENARIOS.boundLeak)
    const model = buildReportModel(a)
    const c = model.culprits.find((x) => x.chart && x.finding.process === 'LeakyAgent.exe')!
    expect(c.finding.projectedExhaustion).not.toBeNull()
    const svg = culpritChart(c, model)
    const top = Math.max(...yTicks(svg))
    // the top tick sits just over the culprit's own peak, far under the 16,384-port range
    expect(top).toBeGreaterThanOrEqual(c.finding.peak)
    expect(top).toBeLessThan(c.finding.peak * 2)
    expect(svg).not.toContain('class="limit"')
    expect(svg).toContain(`range limit ${formatInt(c.limit)}: above the chart`)
    expect(svg).toMatch(/<text class="offchart"[^>]*>exhausts \d{4}-\d\d-\d\d \d\d:\d\d[^<]* \(off the chart\)<\/text>/)
    expect(svg).toMatch(/class="ytitle"[^>]*>sockets<\/text>/)
    // the trend is drawn first (under the data) and styled as the thin dashed line
    const trend = svg.indexOf('class="trend"')
    expect(trend).toBeGreaterThan(0)
    expect(trend).toBeLessThan(svg.indexOf('class="series main"'))
  })

  it('draw the range limit as a labelled line when the culprit comes within reach of it', async () => {
    const a = await analyzeScenario(SCENARIOS.boundLeak, {dynamicRange: '60000-60999'})
    const model = buildReportModel(a)
    const c = model.culprits.find((x) => x.chart && x.finding.process === 'LeakyAgent.exe')!
    expect(c.limit).toBe(1000)
    expect(c.finding.peak).toBeGreaterThanOrEqual(500)
    const svg = culpritChart(c, model)
    expect(svg).toMatch(/<g class="limit">.*<text[^>]*>range 1,000<\/text><\/g>/)
    expect(svg).not.toContain('above the chart')
    expect(Math.max(...yTicks(svg))).toBeGreaterThanOrEqual(1000)
  })
})
