#!/usr/bin/env node
// Bundles the built CLI's entry modules in place, after tsc: each command, the hook, and the two worker
// entries become one small module importing shared chunks (dist/chunks/), instead of a graph of about
// 120 modules that Node resolves, reads and links on every run, in the main thread and in each worker
// (about 0.05 s of a small run's 0.3 s, and more CPU on a large one, where every thread starts).
// Packages stay external (oclif loads itself and its plugins from node_modules); the library entry
// (dist/index.js) and every other module tsc wrote stay as they are. Run by `npm run build`, `prepare`
// and the tests' global setup, each after tsc (tsc rewrites the entries; bundling them twice is refused).
//   node scripts/bundle.mjs [ROOT]   (ROOT: the package folder holding dist/, default this checkout)
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const modules = (dir) => (existsSync(join(dist, dir)) ? readdirSync(join(dist, dir)).filter((f) => f.endsWith('.js')).map((f) => join(dist, dir, f)) : [])
const entryPoints = [...modules('commands'), ...modules('hooks'), join(dist, 'input/parallel-worker.js'), join(dist, 'input/hash-worker.js')]
const CHUNKS = 'chunks'

for (const entry of entryPoints) {
  if (!existsSync(entry)) fail(`${entry} is missing: run tsc first`)
  if (readFileSync(entry, 'utf8').includes(`"../${CHUNKS}/`)) fail(`${entry} is bundled already: run tsc first`)
}
rmSync(join(dist, CHUNKS), {recursive: true, force: true})
try {
  await build({
    entryPoints,
    outdir: dist,
    outbase: dist,
    allowOverwrite: true,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: `${CHUNKS}/[name]-[hash]`,
    logLevel: 'warning',
  })
} catch (e) {
  fail(e instanceof Error ? e.message : String(e))
}

function fail(message) {
  process.stderr.write(`bundle: ${message}\n`)
  process.exit(1)
}
