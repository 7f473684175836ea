import {spawnSync} from 'node:child_process'
import {cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {describe, expect, inject, it} from 'vitest'

import {moduleRoot} from '../../src/module-root.js'

const ROOT = new URL('../../', import.meta.url).pathname
const bundle = (root: string) => spawnSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), root], {encoding: 'utf8'})

/** Runs `f` in a fresh folder, removed afterwards. */
function inTempDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'portleak-bundle-'))
  try {
    f(dir)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

describe('scripts/bundle.mjs: the entry modules the CLI starts from', () => {
  const root = inject('cliRoot')

  it('leaves each command and worker entry importing shared chunks, and no module graph behind them', () => {
    const chunks = readdirSync(join(root, 'dist/chunks'))
    expect(chunks.length).toBeGreaterThan(0)
    const entries = ['cli.js', ...readdirSync(join(root, 'dist/commands')).filter((f) => f.endsWith('.js')).map((f) => `commands/${f}`), 'input/parallel-worker.js', 'input/hash-worker.js']
    for (const entry of entries) {
      const text = readFileSync(join(root, 'dist', entry), 'utf8')
      // Imports are of chunks or packages only: a relative import of another tsc module would load its graph.
      const relative = [...text.matchAll(/from\s+"(\.[^"]+)"/g)].map((m) => m[1]!)
      const chunk = entry.includes('/') ? '../chunks/' : './chunks/'
      expect(relative.every((p) => p.startsWith(chunk)), `${entry}: ${relative.join(', ')}`).toBe(true)
      // oclif is in the chunks: one copy for bin/run.js and the commands, none of its files loaded from node_modules.
      expect(text, entry).not.toMatch(/from\s+"@oclif\/core"/)
    }
  })

  it('starts a command without loading a CommonJS module from node_modules (oclif is bundled)', () => {
    inTempDir((dir) => {
      // Counts the CommonJS modules loaded by the end of the run (Node's one module cache).
      const hook = join(dir, 'count.mjs')
      writeFileSync(
        hook,
        "import {createRequire} from 'node:module'\nconst cache = createRequire(import.meta.url).cache\nprocess.on('exit', () => process.stderr.write(`cjs ${Object.keys(cache).filter((k) => k.includes('node_modules')).length}\\n`))\n",
      )
      const loop = join(ROOT, 'corpus/netstat/loop-en-us-anobq-bound-leak.txt')
      // As users run it: NODE_ENV=test (vitest's) has oclif register a TypeScript loader for development.
      const env = {...process.env}
      delete env.NODE_ENV
      const run = (...args: string[]) => spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, join(root, 'bin/run.js'), ...args], {encoding: 'utf8', env})
      const analyze = run('analyze', '--json', loop)
      expect(analyze.status).toBe(0)
      expect(JSON.parse(analyze.stdout).schema).toBe('portleak/analysis@1')
      expect(analyze.stderr).toMatch(/^cjs 0$/m)
      // `help <command>` is plugin-help's command: it loads its own oclif from node_modules, and still works.
      const help = run('help', 'analyze')
      expect(help.status).toBe(0)
      expect(help.stdout).toMatch(/^USAGE\n {2}\$ portleak analyze INPUTS\.\.\./m)
      expect(help.stderr).toMatch(/^cjs [1-9]\d*$/m)
    })
  })

  it('says in one line that a checkout is not built, with no stack trace', () => {
    inTempDir((dir) => {
      cpSync(join(root, 'bin'), join(dir, 'bin'), {recursive: true})
      cpSync(join(root, 'package.json'), join(dir, 'package.json'))
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
      const r = spawnSync(process.execPath, [join(dir, 'bin/run.js'), 'analyze', '--json', 'x.txt'], {encoding: 'utf8'})
      expect(r.status).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe(`portleak: not built (${join(dir, 'dist/cli.js')} is missing): run \`npm install\` or \`npm run build\` in ${dir}/\n`)
    })
  })

  it('refuses entries it has bundled already, naming the file, and changes nothing', () => {
    inTempDir((dir) => {
      cpSync(join(root, 'dist'), join(dir, 'dist'), {recursive: true})
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
      const before = readdirSync(join(dir, 'dist/chunks')).sort()
      const r = bundle(dir)
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(/^bundle: .*dist\/commands\/\w+\.js is bundled already: run tsc first\n$/)
      expect(readdirSync(join(dir, 'dist/chunks')).sort()).toEqual(before)
    })
  })

  it('keeps the library entry (dist/index.js) whole: its pipeline reads a loop', async () => {
    const lib = (await import(pathToFileURL(join(root, 'dist/index.js')).href)) as typeof import('../../src/index.js')
    const doc = await lib.inspectInputs([join(ROOT, 'corpus/netstat/loop-en-us-anobq-bound-leak.txt')], {})
    expect(doc.inputs[0]!.format).toBe('netstat')
    expect(doc.inputs[0]!.snapshots).toBeGreaterThan(1)
  })
})

describe('moduleRoot: where shipped files are found from, bundled or not', () => {
  it('is the nearest dist/ or src/ above a module, wherever below it the module sits', () => {
    expect(moduleRoot('/opt/portleak/dist/chunks/chunk-ABC.js').href).toBe('file:///opt/portleak/dist/')
    expect(moduleRoot('/opt/portleak/dist/formats/netstat/kernel.js').href).toBe('file:///opt/portleak/dist/')
    expect(moduleRoot('/home/u/src/portleak/src/input/parallel.ts').href).toBe('file:///home/u/src/portleak/src/')
    expect(moduleRoot('/home/u/dist/portleak/dist/input/parallel.js').href).toBe('file:///home/u/dist/portleak/dist/')
  })

  it("is the module's own folder outside either", () => {
    expect(moduleRoot('/opt/tools/portleak.js').href).toBe('file:///opt/tools/')
  })
})
