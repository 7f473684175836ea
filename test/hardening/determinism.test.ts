import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import Analyze from '../../src/commands/analyze.js'
import Report from '../../src/commands/report.js'
import {runAnalysis} from '../../src/pipeline.js'
import {renderHtml} from '../../src/report/html.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {zipBuffer} from '../helpers/zip.js'
import {tempTree} from './helpers.js'

const config = await Config.load(import.meta.url)
const CORPUS = fileURLToPath(new URL('../../corpus/', import.meta.url))
/** One machine's upload: the netstat loop, the range, events, handle and process loops. */
const UPLOAD = [
  'netstat/loop-en-us-anobq-bound-leak.txt',
  'netsh-dynamicport/all-four-echoed-en.txt',
  'tcpip-events/wevtutil-qe-text.txt',
  'handle-exe/loop-a-p-4312.txt',
  'process-list/ps51-loop-leakyagent.txt',
]
const paths = (order: readonly number[]) => order.map((i) => join(CORPUS, UPLOAD[i]!))
const ORDERS = [
  [0, 1, 2, 3, 4],
  [4, 3, 2, 1, 0],
  [2, 0, 4, 1, 3],
]

let sigint: NodeJS.SignalsListener[] = []
beforeEach(() => {
  sigint = process.listeners('SIGINT')
})
afterEach(() => {
  for (const l of process.listeners('SIGINT')) if (!sigint.includes(l)) process.off('SIGINT', l)
  process.exitCode = undefined
})

async function analyzeJson(args: string[]): Promise<string> {
  const out = await captureOutput(() => Analyze.run([...args, '--json'], config))
  if (out.error) throw out.error
  return out.stdout
}

async function report(args: string[], as: 'md' | 'html'): Promise<Buffer> {
  const file = join(tempTree({}), `report.${as}`)
  const out = await captureOutput(() => Report.run([...args, '-o', file], config))
  if (out.error) throw out.error
  return readFileSync(file)
}

describe('same inputs, same bytes', () => {
  it('prints byte-identical analyze --json twice and whatever order the inputs are named in', async () => {
    const outputs = [await analyzeJson(paths(ORDERS[0]!))]
    for (const order of ORDERS) outputs.push(await analyzeJson(paths(order)))
    expect(JSON.parse(outputs[0]!)).toMatchObject({schema: 'portleak/analysis@1', host: 'APP02'})
    for (const o of outputs.slice(1)) expect(o).toBe(outputs[0])
  })

  for (const as of ['md', 'html'] as const) {
    it(`writes a byte-identical ${as} report twice and for inputs in another order`, async () => {
      const first = await report(paths(ORDERS[0]!), as)
      expect(first.length).toBeGreaterThan(1000)
      expect((await report(paths(ORDERS[0]!), as)).equals(first)).toBe(true)
      expect((await report(paths(ORDERS[1]!), as)).equals(first)).toBe(true)
    })
  }

  it('gives the same analysis for a directory as for its files named one by one', async () => {
    const dir = tempTree(Object.fromEntries(UPLOAD.map((p) => [p.replace('/', '-'), readFileSync(join(CORPUS, p))])))
    const files = UPLOAD.map((p) => join(dir, p.replace('/', '-'))).reverse()
    const a = await runAnalysis([dir], {})
    const b = await runAnalysis(files, {})
    expect(JSON.stringify(b.document)).toBe(JSON.stringify(a.document))
  })

  it('gives the same analysis for a zip whatever order its entries are stored in', async () => {
    const entries = UPLOAD.map((p) => ({name: `upload/${p}`, data: readFileSync(join(CORPUS, p))}))
    const runs = []
    for (const order of ORDERS) {
      const dir = tempTree({'upload.zip': await zipBuffer(order.map((i) => entries[i]!))})
      const a = await runAnalysis([join(dir, 'upload.zip')], {})
      // Only the folder differs between the runs: compare with it taken out.
      const strip = (s: string) => s.replaceAll(dir, '<dir>')
      runs.push({
        json: strip(JSON.stringify(a.document)),
        md: strip(renderMarkdown(a)),
        html: strip(renderHtml(a, {generatedAt: null, redacted: false, version: '0.0.0'})),
      })
    }
    expect(runs[0]!.json).toContain('<dir>/upload.zip!upload/netstat/loop-en-us-anobq-bound-leak.txt')
    for (const r of runs.slice(1)) {
      expect(r.json).toBe(runs[0]!.json)
      expect(r.md).toBe(runs[0]!.md)
      expect(r.html).toBe(runs[0]!.html)
    }
  })
})
