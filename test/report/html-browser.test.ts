import {existsSync, mkdtempSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {type Browser, type Page, chromium} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runAnalysis} from '../../src/pipeline.js'
import {renderHtml} from '../../src/report/html.js'
import {FIXTURE, makeFixtureAnalysis} from '../fixtures/analysis-fixture.js'
import {loopText, tempFiles} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'

/** Screenshots are test artifacts: kept outside the repository. */

const CHROMIUM = '/usr/bin/chromium'
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
]

type Loaded = {page: Page; requests: string[]; consoleErrors: string[]; dialogs: string[]}

describe.skipIf(!existsSync(CHROMIUM))(`renderHtml in headless Chromium${existsSync(CHROMIUM) ? '' : ` (skipped: ${CHROMIUM} not found)`}`, () => {
  let browser: Browser

  beforeAll(async () => {
    browser = await chromium.launch({executablePath: CHROMIUM, args: ARGS})
  })

  afterAll(async () => {
    await browser?.close()
  })

  /** Loads the report with every request blocked and recorded, like a mail client opening the attachment. */
  async function load(html: string): Promise<Loaded> {
    const page = await browser.newPage({viewport: {width: 1280, height: 1000}})
    const requests: string[] = []
    const consoleErrors: string[] = []
    const dialogs: string[] = []
    await page.route('**/*', (route) => {
      requests.push(route.request().url())
      return route.abort()
    })
    page.on('request', (r) => requests.push(r.url()))
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text())
    })
    page.on('pageerror', (e) => consoleErrors.push(e.message))
    page.on('dialog', (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
    await page.setContent(html, {waitUntil: 'load'})
    return {page, requests, consoleErrors, dialogs}
  }

  it('makes no request, logs no error and shows the culprit and the charts', async () => {
    const {page, requests, consoleErrors} = await load(renderHtml(makeFixtureAnalysis()))
    try {
      expect(requests).toEqual([])
      expect(consoleErrors).toEqual([])
      expect(await page.locator('h1').innerText()).toBe(`Port exhaustion report: ${FIXTURE.host}`)
      expect(await page.locator('#culprits td').first().innerText()).toBe(FIXTURE.leaky.name)
      expect(await page.locator('svg.chart').count()).toBe(5)
      for (const svg of await page.locator('svg.chart').all()) {
        expect(await svg.isVisible()).toBe(true)
        const box = await svg.boundingBox()
        expect(box!.width).toBeGreaterThan(300)
        expect(box!.height).toBeGreaterThan(100)
      }
      // the page script turned SVG titles into styled tooltips
      const hit = page.locator('#over-time svg.chart .hits rect').nth(150)
      await hit.hover()
      const tip = page.locator('#tip')
      expect(await tip.isVisible()).toBe(true)
      expect(await tip.innerText()).toMatch(/^2026-01-14 09:30:00: [\d,]+ of 16,384 in use on 10\.20\.30\.41$/)
      // A screenshot to look at when this fails, outside the repository (tests never write into it).
      const shot = join(mkdtempSync(join(tmpdir(), 'portleak-browser-')), 'report.png')
      await page.screenshot({path: shot, fullPage: true})
      expect(statSync(shot).size).toBeGreaterThan(0)
    } finally {
      await page.close()
    }
  })

  it('sorts a table when its header is clicked', async () => {
    const {page} = await load(renderHtml(makeFixtureAnalysis()))
    try {
      const table = page.locator('#culprits table').nth(1)
      const pids = async () => (await table.locator('tbody tr td:nth-child(2)').allInnerTexts()).map(Number)
      expect(await pids()).not.toEqual([...(await pids())].sort((a, b) => a - b))
      await table.locator('th', {hasText: 'PID'}).click()
      const sorted = await pids()
      expect(sorted).toEqual([...sorted].sort((a, b) => a - b))
    } finally {
      await page.close()
    }
  })

  it('runs none of the hostile strings as script or markup', async () => {
    const {page, requests, consoleErrors, dialogs} = await load(renderHtml(makeFixtureAnalysis({hostile: true})))
    try {
      await page.waitForTimeout(200)
      expect(await page.evaluate('typeof window.__xss')).toBe('undefined')
      expect(dialogs).toEqual([])
      expect(requests).toEqual([])
      expect(consoleErrors).toEqual([])
      expect(await page.locator('img, iframe, object, embed').count()).toBe(0)
      expect(await page.locator('script').count()).toBe(1)
      expect(await page.locator('#culprits td').first().innerText()).toBe(FIXTURE.hostile.leaky)
      expect(await page.locator('h1').innerText()).toBe(`Port exhaustion report: ${FIXTURE.hostile.host}`)
    } finally {
      await page.close()
    }
  })

  it('stays readable without the script', async () => {
    const html = renderHtml(makeFixtureAnalysis()).replace(/<script>[\s\S]*?<\/script>/, '')
    const {page} = await load(html)
    try {
      expect(await page.locator('svg.chart').count()).toBe(5)
      expect(await page.locator('svg.chart .hits rect title').count()).toBeGreaterThan(300)
      expect(await page.locator('#tip').count()).toBe(0)
    } finally {
      await page.close()
    }
  })

  it('quotes evidence in collapsible blocks, lists remote endpoints and titles the axes', async () => {
    const [file] = tempFiles({'netstat.txt': loopText(SCENARIOS.timeWaitLeak)})
    const {page, requests, consoleErrors} = await load(renderHtml(await runAnalysis([file!], {})))
    try {
      expect(requests).toEqual([])
      expect(consoleErrors).toEqual([])
      const blocks = page.locator('details.evidence')
      expect(await blocks.count()).toBeGreaterThanOrEqual(2)
      // the first finding's evidence is open, the others closed until their summary is clicked
      expect(await blocks.nth(0).getAttribute('open')).toBe('')
      expect(await blocks.nth(1).locator('pre').isVisible()).toBe(false)
      await blocks.nth(1).locator('summary').click()
      expect(await blocks.nth(1).locator('pre').isVisible()).toBe(true)
      const quoted = await blocks.nth(0).locator('pre').innerText()
      expect(quoted).toMatch(/netstat\.txt:\d+ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n> {3}TCP {4}10\.0\.0\.5:\d+ +10\.0\.0\.60:443 +TIME_WAIT/)
      expect(await blocks.nth(0).locator('summary').innerText()).toMatch(/^Evidence \(\d+ row\(s\)\)$/)
      const remotes = page.locator('#findings table').first()
      expect(await remotes.locator('th').first().innerText()).toBe('Remote endpoint')
      expect(await remotes.locator('tbody tr td').first().innerText()).toBe('10.0.0.60:443')
      // axis titles: the unit along y, the zone under x
      const main = page.locator('#over-time svg.chart').first()
      expect(await main.locator('text.ytitle').textContent()).toBe('ports')
      expect(await main.locator('text.xlabel').textContent()).toBe('time (as written, zone unknown)')
      expect(await main.locator('text.xlabel').isVisible()).toBe(true)
      // the culprit's chart is scaled to it: the far range limit and the exhaustion are written, not drawn
      const small = page.locator('#culprits svg.chart').first()
      expect(await small.locator('.limit').count()).toBe(0)
      expect(await small.locator('text.offchart').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^range limit 16,384: above the chart$/)]))
      const trend = small.locator('line.trend')
      expect(await trend.count()).toBe(1)
      expect(await trend.evaluate((el) => getComputedStyle(el).strokeDasharray)).not.toBe('none')
      expect(Number(await trend.evaluate((el) => parseFloat(getComputedStyle(el).strokeWidth)))).toBeLessThan(
        Number(await small.locator('path.series.main').first().evaluate((el) => parseFloat(getComputedStyle(el).strokeWidth))),
      )
      const shot = join(mkdtempSync(join(tmpdir(), 'portleak-browser-')), 'report-quotes.png')
      await page.screenshot({path: shot, fullPage: true})
      expect(statSync(shot).size).toBeGreaterThan(0)
    } finally {
      await page.close()
    }
  })
})
