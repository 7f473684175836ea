import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {TestProject} from 'vitest/node'

import {SHARED_CORPUS, SHARED_SKIP_NOTE} from './helpers/shared-corpus.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder holding this run's build of the CLI: run `node <cliRoot>/bin/run.js` (see test/helpers/cli.ts). */
    cliRoot: string
  }
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The arguments of package.json's `build:kernel` (asc …), without its output. */
function kernelBuildArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {scripts: Record<string, string>}
  const words = pkg.scripts['build:kernel']!.split(/\s+/)
  const out = words.indexOf('-o')
  return words.slice(1, out < 0 ? undefined : out)
}

/**
 * Builds the CLI once for the whole run, from the sources as they are now, into a temporary folder (never
 * into the repository's dist/, which parallel test files used to overwrite under each other), and fails the
 * run when the build fails. Types are checked by `npm run typecheck`; this emit skips the check (--noCheck),
 * so it takes seconds. Also says once, in the run's output, when the tests that need ../shared skip.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'portleak-cli-'))
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.json'), '--noCheck', '--outDir', join(dir, 'dist')], {
    encoding: 'utf8',
    timeout: 300_000,
  })
  if (r.status !== 0 || !existsSync(join(dir, 'dist/commands/inspect.js'))) {
    rmSync(dir, {recursive: true, force: true})
    throw new Error(`test/global-setup.ts: building the CLI failed (tsc exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`)
  }
  // The entry modules bundled, as `npm run build` leaves them (scripts/bundle.mjs): the CLI users run.
  const bundle = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), dir], {encoding: 'utf8', timeout: 120_000})
  if (bundle.status !== 0) {
    rmSync(dir, {recursive: true, force: true})
    throw new Error(`test/global-setup.ts: bundling the CLI failed (exit ${bundle.status ?? bundle.signal}):\n${bundle.stdout}${bundle.stderr}`)
  }
  // The compiled netstat kernel (kernel/*.ts), as `npm run build:kernel` makes it, from the sources as they are now.
  const kernel = join(dir, 'dist/kernel/netstat.wasm')
  const asc = spawnSync(process.execPath, [join(ROOT, 'node_modules/assemblyscript/bin/asc.js'), ...kernelBuildArgs(), '-o', kernel], {cwd: ROOT, encoding: 'utf8', timeout: 300_000})
  if (asc.status !== 0 || !existsSync(kernel)) {
    rmSync(dir, {recursive: true, force: true})
    throw new Error(`test/global-setup.ts: building the kernel failed (asc exit ${asc.status ?? asc.signal}):\n${asc.stdout}${asc.stderr}`)
  }
  // Unit tests load the kernel from the repository's dist/ (src/formats/netstat/kernel.ts): the same build.
  mkdirSync(join(ROOT, 'dist/kernel'), {recursive: true})
  copyFileSync(kernel, join(ROOT, 'dist/kernel/netstat.wasm'))
  mkdirSync(join(dir, 'bin'))
  copyFileSync(join(ROOT, 'bin/run.js'), join(dir, 'bin/run.js'))
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  // The command manifest, as `npm run build` writes it: the CLI starts the way it does for users.
  const m = spawnSync(process.execPath, [join(ROOT, 'scripts/manifest.mjs'), dir], {encoding: 'utf8', timeout: 120_000})
  if (m.status !== 0) {
    rmSync(dir, {recursive: true, force: true})
    throw new Error(`test/global-setup.ts: writing the command manifest failed (exit ${m.status ?? m.signal}):\n${m.stdout}${m.stderr}`)
  }
  project.provide('cliRoot', dir)
  if (!existsSync(SHARED_CORPUS)) process.stdout.write(`\nNOTE: ${SHARED_SKIP_NOTE}\n\n`)
  return () => rmSync(dir, {recursive: true, force: true})
}
