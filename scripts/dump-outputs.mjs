#!/usr/bin/env node
// Dumps `analyze --json`, `inspect --json` and `report` md/html (stdout, stderr, exit status) for every
// committed fixture (corpus/**: each file and each folder) and every shared one (../shared/corpus/real),
// so two builds can be compared byte for byte:
//   node scripts/dump-outputs.mjs BUILT_TREE FIXTURE_TREE OUT   (then `diff -r OUT_A OUT_B`)
// BUILT_TREE is a checkout with dist/ built; FIXTURE_TREE the checkout whose corpus/ is read (name the same
// one for both runs so the paths in the outputs match). Runs in one process: one oclif start-up, not 700.
import {mkdirSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

const [tree, fixtures, out] = process.argv.slice(2).map((p) => resolve(p))
if (!out) throw new Error('usage: dump-outputs.mjs BUILT_TREE FIXTURE_TREE OUT')
const {Config} = await import(pathToFileURL(join(tree, 'node_modules/@oclif/core/lib/index.js')).href)
const config = await Config.load(join(tree, 'package.json'))

function walk(dir) {
  const files = []
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) files.push(...walk(p))
    else files.push(p)
  }
  return files
}
const folders = (dir) => readdirSync(dir).sort().map((e) => join(dir, e)).filter((p) => statSync(p).isDirectory())
const corpus = join(fixtures, 'corpus')
const real = join(fixtures, '../shared/corpus/real')
const inputs = [...walk(corpus), ...folders(corpus)]
try {
  inputs.push(...walk(real).filter((p) => !/\.(md|json)$/.test(p)), ...folders(real))
} catch {
  console.error(`note: ${real} not found; shared fixtures left out`)
}

process.chdir(fixtures)
process.env.TZ = 'UTC'
mkdirSync(out, {recursive: true})
const realStdout = process.stdout.write.bind(process.stdout)
const realStderr = process.stderr.write.bind(process.stderr)
async function run(name, argv) {
  let stdout = ''
  let stderr = ''
  process.stdout.write = (chunk, ...rest) => ((stdout += String(chunk)), rest.find((r) => typeof r === 'function')?.(), true)
  process.stderr.write = (chunk, ...rest) => ((stderr += String(chunk)), rest.find((r) => typeof r === 'function')?.(), true)
  process.exitCode = undefined
  let status
  try {
    await config.runCommand(argv[0], argv.slice(1))
    status = `exitCode ${process.exitCode ?? 0}`
  } catch (error) {
    status = `threw exit ${error?.oclif?.exit ?? '?'}: ${error?.message}`
  } finally {
    process.stdout.write = realStdout
    process.stderr.write = realStderr
  }
  process.exitCode = undefined
  writeFileSync(join(out, `${name}.out`), stdout)
  writeFileSync(join(out, `${name}.err`), `${stderr}\n--\n${status}\n`)
}

for (const input of inputs) {
  const shown = input.startsWith(real) ? `real/${relative(real, input)}` : relative(fixtures, input)
  const key = shown.replace(/[/ ]/g, '_')
  const arg = relative(fixtures, input)
  await run(`${key}.analyze`, ['analyze', arg, '--json'])
  await run(`${key}.inspect`, ['inspect', arg, '--json'])
  await run(`${key}.report-md`, ['report', arg, '-o', '-', '--as', 'md'])
  await run(`${key}.report-html`, ['report', arg, '-o', '-', '--as', 'html'])
}
realStderr(`${inputs.length} inputs dumped to ${out}\n`)
process.exit(0)
