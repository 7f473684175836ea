import {spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {formatIds} from '../src/formats/registry.js'
import {runAnalysis} from '../src/pipeline.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const FIXTURE = join(ROOT, 'corpus/netstat/loop-en-us-anobq-bound-leak.txt')

// The package as an installed dependency: node_modules/portleak holds the repository's package.json and a
// fresh build of src/ (its own, not the shared dist/), so `import 'portleak'` goes through package.json's
// `exports` exactly as it would for a user. (Types are checked by `tsc --noEmit`; this build only emits.)
const dir = mkdtempSync(join(tmpdir(), 'portleak-library-'))
const pkg = join(dir, 'node_modules/portleak')
afterAll(() => rmSync(dir, {recursive: true, force: true}))

beforeAll(() => {
  mkdirSync(pkg, {recursive: true})
  cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'))
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir')
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', ROOT, '--outDir', join(pkg, 'dist'), '--declaration', 'false', '--noCheck'], {encoding: 'utf8', timeout: 170_000})
  expect(r.status, `tsc failed: ${r.stdout}${r.stderr}`).toBe(0)
  // The compiled netstat kernel, as test/global-setup.ts built it from the sources for this run.
  mkdirSync(join(pkg, 'dist/kernel'), {recursive: true})
  cpSync(join(ROOT, 'dist/kernel/netstat.wasm'), join(pkg, 'dist/kernel/netstat.wasm'))
}, 180_000)

/** Runs an ES module in the temporary project (its imports resolve from there) and returns what it prints. */
function runModule(source: string): {status: number | null; stdout: string; stderr: string} {
  return spawnSync(process.execPath, ['--input-type=module', '-e', source], {cwd: dir, encoding: 'utf8', timeout: 60_000})
}

describe('the library entry (import from "portleak")', () => {
  it('runs an analysis and gives the same document the pipeline gives', async () => {
    const r = runModule(`
      import {runAnalysis, inspectInputs} from 'portleak'
      const analysis = await runAnalysis([${JSON.stringify(FIXTURE)}], {})
      const inspect = await inspectInputs([${JSON.stringify(FIXTURE)}], {})
      process.stdout.write(JSON.stringify({analysis: analysis.document, inspect}))
    `)
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    const expected = JSON.parse(JSON.stringify((await runAnalysis([FIXTURE], {})).document))
    expect(out.analysis).toEqual(expected)
    expect(out.analysis.schema).toBe('portleak/analysis@1')
    expect(out.analysis.findings.length).toBeGreaterThan(0)
    expect(out.inspect.inputs[0].format).toBe('netstat')
  })

  it('lists the formats and renders a report without the CLI', () => {
    const r = runModule(`
      import {formatList, runAnalysis, renderMarkdown, PortleakError} from 'portleak'
      const md = renderMarkdown(await runAnalysis([${JSON.stringify(FIXTURE)}], {}))
      let error = null
      try { await runAnalysis(['x.txt'], {format: 'nope'}) } catch (e) { error = e instanceof PortleakError ? e.message : String(e) }
      process.stdout.write(JSON.stringify({ids: formatList().map((f) => f.id), heading: md.split('\\n')[0], error}))
    `)
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.ids).toEqual(formatIds())
    expect(out.heading).toMatch(/^# Port exhaustion report/)
    expect(out.error).toBe("unknown format 'nope'")
  })
})
