#!/usr/bin/env node
// Bundles the built CLI's entry modules in place, after tsc: oclif's entry (dist/cli.js, which bin/run.js
// starts), each command, the hook, and the two worker entries become one small module importing shared
// chunks (dist/chunks/), instead of a graph of about 120 modules that Node resolves, reads and links on
// every run, in the main thread and in each worker (about 0.05 s of a small run's 0.3 s, and more CPU on a
// large one, where every thread starts).
// @oclif/core goes into the chunks too, the one copy bin/run.js and the commands both use: from
// node_modules it is about 160 CommonJS files (its own, semver's, minimatch's, …) that Node resolves, reads
// and compiles at every start, 80–100 ms of one core; bundled, about 40. The other packages stay external
// (oclif loads its plugins from node_modules, and with them, for `help`, its own copy there), as do the
// TypeScript loaders oclif tries only in development. The bundled CommonJS calls `require` (Node's built-in
// modules): every output module defines it (createRequire). The library entry (dist/index.js) and every
// other module tsc wrote stay as they are. Run by `npm run build`, `prepare` and the tests' global setup,
// each after tsc (tsc rewrites the entries; bundling them twice is refused).
//   node scripts/bundle.mjs [ROOT]   (ROOT: the package folder holding dist/, default this checkout)
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const checkout = join(dirname(fileURLToPath(import.meta.url)), '..')
const root = process.argv[2] ?? checkout
const dist = join(root, 'dist')
const modules = (dir) => (existsSync(join(dist, dir)) ? readdirSync(join(dist, dir)).filter((f) => f.endsWith('.js')).map((f) => join(dist, dir, f)) : [])
const entryPoints = [join(dist, 'cli.js'), ...modules('commands'), ...modules('hooks'), join(dist, 'input/parallel-worker.js'), join(dist, 'input/hash-worker.js')]
const CHUNKS = 'chunks'
// Runtime dependencies but oclif's core stay packages; this checkout's list (ROOT may have no package.json yet).
const pkg = JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8'))
const EXTERNAL = [...Object.keys(pkg.dependencies ?? {}).filter((d) => d !== '@oclif/core'), 'typescript', 'ts-node', 'tsx']
const REQUIRE = "import {createRequire as __portleakRequire} from 'node:module'; const require = __portleakRequire(import.meta.url);"

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
    external: EXTERNAL,
    // oclif from this checkout's packages, wherever ROOT is (the tests' build has no node_modules of its own yet).
    nodePaths: [join(checkout, 'node_modules')],
    banner: {js: REQUIRE},
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
