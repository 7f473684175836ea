/**
 * Regenerates the README's picture of the HTML report from a committed corpus loop, so it shows what
 * the current code renders: the loop is analyzed, the report rendered and opened in headless Chromium
 * (playwright-core with the system's chromium, as the browser test uses), the top of the page saved.
 * Usage: npx tsx scripts/report-screenshot.ts [loop] [--out docs/report.png] [--chromium /usr/bin/chromium]
 */
import {existsSync} from 'node:fs'

import {chromium} from 'playwright-core'

import {runAnalysis} from '../src/pipeline.js'
import {renderHtml} from '../src/report/html.js'

const args = process.argv.slice(2)
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name)
  return i >= 0 && args[i + 1] ? args.splice(i, 2)[1]! : fallback
}
const out = flag('--out', 'docs/report.png')
const executablePath = flag('--chromium', '/usr/bin/chromium')
const loop = args[0] ?? 'corpus/netstat/loop-en-us-anobq-bound-leak.txt'
/** The top of the report: verdict, culprits with their charts, the range-use chart. */
const HEIGHT = 1900

if (!existsSync(executablePath)) {
  console.error(`${executablePath}: no Chromium there (apt-get install chromium, or --chromium PATH)`)
  process.exit(2)
}
const analysis = await runAnalysis([loop], {})
const browser = await chromium.launch({executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu']})
try {
  const page = await browser.newPage({viewport: {width: 1280, height: HEIGHT}})
  // The report makes no request; any attempt would show here as a failure.
  await page.route('**/*', (route) => route.abort())
  await page.setContent(renderHtml(analysis), {waitUntil: 'load'})
  await page.screenshot({path: out, clip: {x: 0, y: 0, width: 1280, height: HEIGHT}})
  console.log(`wrote ${out} (${loop})`)
} finally {
  await browser.close()
}
