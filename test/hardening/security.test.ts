import dgram from 'node:dgram'
import dns from 'node:dns'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import {syncBuiltinESMExports} from 'node:module'
import net, {connect as namedConnect} from 'node:net'
import {join} from 'node:path'
import tls from 'node:tls'
import {fileURLToPath} from 'node:url'

import {lexer, parse} from 'marked'
import Papa from 'papaparse'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Analysis, InputSummary} from '../../src/model/types.js'
import type {ConnectionRecord} from '../../src/formats/types.js'
import {inspectInputs, runAnalysis} from '../../src/pipeline.js'
import {renderAnalysis} from '../../src/report/analyze-text.js'
import {type ExportConnection, exportTables, toCsv} from '../../src/report/export.js'
import {renderHtml} from '../../src/report/html.js'
import {renderInspect} from '../../src/report/inspect-text.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {generateLoop, type LoopScenario} from '../../src/synth/loop.js'
import {tempTree} from './helpers.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BAD = join(ROOT, 'corpus/bad')

const XSS_IMG = '<img src=x onerror=alert(1)>.exe'
const ESC_NAME = 'evil\u001b[2J\u001b]0;owned\u0007.exe'
const FORMULAS = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0.exe", '@SUM(1+1).exe', '-2+3.exe']
const HOSTILE_FILE = '"><img src=x onerror=alert(2)>.txt'

/** A `netstat -anobq` loop whose owners, services and one junk line are markup, formulas and escapes. */
function hostileLoop(): string {
  const s: LoopScenario = {
    seed: 9,
    snapshots: 16,
    interval: 60,
    start: new Date(Date.UTC(2023, 2, 10, 8, 55, 0)),
    dateStyle: 'iso',
    owners: true,
    bound: true,
    processes: [
      {pid: 6666, name: XSS_IMG, service: '<svg/onload=alert(1)>', behaviour: {kind: 'leak', state: 'BOUND', perHour: 600}},
      {pid: 8888, name: ESC_NAME, behaviour: {kind: 'leak', state: 'CLOSE_WAIT', perHour: 300}},
      ...FORMULAS.map((name, i) => ({
        pid: 7000 + i,
        name,
        service: `<script>x${i}</script>`,
        behaviour: {kind: 'steady', established: 2, noise: 0} as const,
      })),
    ],
  }
  const text = [...generateLoop(s)].join('')
  // A line no parser knows, so it shows up among the skipped-line examples in every output.
  return text.replace('\r\n\r\nActive Connections', '\r\n<iframe src=javascript:alert(3)></iframe>\r\n\r\nActive Connections')
}

/** Reads the hostile loop (under a hostile file name) and the hostile event export through the real pipeline. */
async function hostileCase(): Promise<{analysis: Analysis; inputs: InputSummary[]; connections: ExportConnection[]}> {
  const dir = tempTree({[HOSTILE_FILE]: hostileLoop(), 'events.txt': readFileSync(join(BAD, 'tcpip-events-hostile.txt'))})
  const connections: ExportConnection[] = []
  const onConnection = (c: ConnectionRecord, at: {path: string; snapshot: number}) =>
    void connections.push({...c, snapshot: at.snapshot, path: at.path})
  const analysis = await runAnalysis([dir], {onConnection})
  const inputs = (await inspectInputs([dir], {})).inputs
  return {analysis, inputs, connections}
}

describe('no network access during a run', () => {
  const attempts: string[] = []
  const restore: (() => void)[] = []
  /** Replaces `obj[key]` with a function that records the attempt and throws. */
  const trap = (obj: object, key: string, label: string) => {
    const target = obj as Record<string, unknown>
    const original = target[key]
    target[key] = function blocked() {
      attempts.push(label)
      throw new Error(`network access during a run: ${label}`)
    }
    restore.push(() => void (target[key] = original))
  }

  beforeAll(() => {
    trap(net.Socket.prototype, 'connect', 'net.Socket#connect')
    trap(net, 'connect', 'net.connect')
    trap(net, 'createConnection', 'net.createConnection')
    trap(tls, 'connect', 'tls.connect')
    trap(dns, 'lookup', 'dns.lookup')
    trap(dns, 'resolve', 'dns.resolve')
    trap(dns.promises, 'lookup', 'dns.promises.lookup')
    trap(dns.promises, 'resolve', 'dns.promises.resolve')
    for (const [mod, name] of [[http, 'http'], [https, 'https']] as const) {
      trap(mod, 'request', `${name}.request`)
      trap(mod, 'get', `${name}.get`)
    }
    trap(dgram, 'createSocket', 'dgram.createSocket')
    trap(globalThis, 'fetch', 'fetch')
    // Named ESM imports of builtins are live copies: push the patched functions into them too.
    syncBuiltinESMExports()
  })

  afterAll(() => {
    for (const r of restore.reverse()) r()
    syncBuiltinESMExports()
  })

  it('catches an attempt made through a named import, a prototype and fetch (the trap works)', async () => {
    const before = attempts.length
    expect(() => namedConnect(9, '127.0.0.1')).toThrow(/network access/)
    expect(() => new net.Socket().connect(9, '127.0.0.1')).toThrow(/network access/)
    expect(() => fetch('http://127.0.0.1:9/')).toThrow(/network access/)
    expect(attempts.slice(before)).toEqual(['net.connect', 'net.Socket#connect', 'fetch'])
    attempts.length = before
  })

  it('opens no socket and resolves no name while reading, analyzing and rendering every output', async () => {
    const {analysis, inputs, connections} = await hostileCase()
    const upload = [
      'netstat/loop-en-us-anobq-bound-leak.txt',
      'netsh-dynamicport/all-four-echoed-en.txt',
      'tcpip-events/wevtutil-qe-text.txt',
    ]
    const corpus = await runAnalysis(upload.map((p) => join(ROOT, 'corpus', p)), {})
    for (const a of [analysis, corpus]) {
      renderHtml(a, {generatedAt: null, redacted: false, version: '0.0.0'})
      renderMarkdown(a)
      renderAnalysis(a.document)
      const tables = exportTables(a, {connections})
      for (const t of Object.values(tables)) toCsv(t)
    }
    renderInspect(inputs)
    await inspectInputs([join(BAD, 'nested-three-levels.zip'), join(BAD, 'truncated.gz')], {})
    expect(attempts).toEqual([])
  })
})

describe('no code execution primitives in src/', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? files(path) : /\.(ts|tsx|js|mjs)$/.test(name) ? [path] : []
    })

  it('has no eval, new Function, child_process, vm or worker shell-outs', () => {
    const sources = files(join(ROOT, 'src'))
    expect(sources.length).toBeGreaterThan(50)
    const hits: string[] = []
    const forbidden = [
      /\beval\s*\(/, /\bnew\s+Function\b/, /child_process/, /['"]node:vm['"]|['"]vm['"]/, /\bexecSync\b|\bspawnSync\b/,
    ]
    for (const file of sources) {
      const text = readFileSync(file, 'utf8')
      for (const re of forbidden) if (re.test(text)) hits.push(`${file.slice(ROOT.length)}: ${re}`)
    }
    expect(hits).toEqual([])
  })
})

describe('hostile names read through the real pipeline', () => {
  let hostile: Promise<Awaited<ReturnType<typeof hostileCase>>> | undefined
  const get = () => (hostile ??= hostileCase())

  it('reads the hostile owner names as process names', async () => {
    const {analysis} = await get()
    const names = analysis.document.processes.map((p) => p.name)
    expect(names).toEqual(expect.arrayContaining([XSS_IMG, ESC_NAME, ...FORMULAS]))
    expect(analysis.document.findings.map((f) => f.process)).toEqual(expect.arrayContaining([XSS_IMG, ESC_NAME]))
    expect(analysis.document.host).toBe('APP02"><script>alert(1)</script>')
  })

  it('escapes them in the HTML report: no element, attribute or script comes from the input', async () => {
    const {analysis} = await get()
    const html = renderHtml(analysis, {generatedAt: null, redacted: false, version: '0.0.0'})
    expect((html.match(/<script\b/gi) ?? []).length).toBe(1)
    expect(html).not.toMatch(/<(img|iframe|svg\/)\b/i)
    expect(html).not.toMatch(/<[a-z][^<>]*\son[a-z]+\s*=/i)
    expect(html).not.toMatch(/javascript:alert\(3\)[^<]*<\/iframe>/)
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;.exe')
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;.txt')
    expect(html).toContain('APP02&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;')
  })

  it('renders them as text in the markdown report, never as HTML', async () => {
    const {analysis} = await get()
    const md = renderMarkdown(analysis)
    const types = new Set<string>()
    const walk = (tokens: readonly {type: string; tokens?: unknown; items?: unknown; header?: unknown; rows?: unknown}[]) => {
      for (const t of tokens) {
        types.add(t.type)
        for (const k of ['tokens', 'items'] as const) if (Array.isArray(t[k])) walk(t[k])
        if (Array.isArray(t.header)) walk(t.header as never)
        if (Array.isArray(t.rows)) for (const r of t.rows as never[][]) walk(r)
      }
    }
    walk(lexer(md))
    expect(types.has('html')).toBe(false)
    const html = parse(md, {async: false})
    expect(html).not.toMatch(/<(img|iframe|script|svg)\b/i)
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;.exe')
  })

  it('neutralises formulas in every CSV table, connections included', async () => {
    const {analysis, connections} = await get()
    const tables = exportTables(analysis, {connections})
    const seen = new Set<string>()
    for (const table of Object.values(tables)) {
      const rows = Papa.parse<string[]>(toCsv(table).replace(/^\uFEFF/, ''), {skipEmptyLines: true}).data.slice(1)
      for (const row of rows) {
        for (const cell of row) {
          expect(cell).not.toMatch(/^[=+@\t\r]|^-[^\d]/)
          if (cell.startsWith("'")) seen.add(cell.slice(1))
        }
      }
    }
    expect([...seen]).toEqual(expect.arrayContaining(FORMULAS))
  })

  // Known bug (src/report/analyze-text.ts culpritRow and the evidence line; src/report/inspect-text.ts paths;
  // src/report/markdown*.ts table cells, which `report` prints to stdout by default): input strings reach the
  // terminal raw, so an owner name can clear the screen, retitle the terminal or write the clipboard (OSC 52).
  it('writes no terminal escape sequence from the input to analyze, inspect or markdown output', async () => {
    const {analysis, inputs} = await get()
    expect(renderMarkdown(analysis)).not.toContain('\u001b')
    expect(renderAnalysis(analysis.document)).not.toContain('\u001b')
    const dir = tempTree({'evil\u001b]0;owned\u0007.txt': hostileLoop().slice(0, 4000)})
    expect(renderInspect([...inputs, ...(await inspectInputs([dir], {})).inputs])).not.toContain('\u001b')
  })
})
