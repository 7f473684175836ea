/**
 * Writes what `analyze --json`, `inspect --json` and `report` (markdown) print for every committed
 * fixture (corpus/**, each file and each folder) and every shared one (../shared/corpus/real) into
 * a folder, so two trees can be compared byte for byte:
 *
 *   npx tsx scripts/dump-outputs.ts OUT [ROOT]    # ROOT: the tree whose src/ runs (default: this one)
 *   diff -r OUT-before OUT-after
 */
import {existsSync, mkdirSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'

const [out, rootArg] = process.argv.slice(2)
if (!out) throw new Error('usage: tsx scripts/dump-outputs.ts OUT [ROOT]')
const root = resolve(rootArg ?? '.')
const here = resolve(new URL('..', import.meta.url).pathname)
const config = await Config.load(root)
type Runnable = {run(argv: string[], config: Config): Promise<unknown>}
const load = async (name: string) => ((await import(join(root, 'src/commands', `${name}.ts`))) as {default: Runnable}).default
const commands = {analyze: await load('analyze'), inspect: await load('inspect'), report: await load('report')}

function walk(dir: string, acc: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      acc.push(path)
      walk(path, acc)
    } else acc.push(path)
  }
  return acc
}

const inputs = [...walk(join(here, 'corpus'), []), ...(existsSync(join(here, '../shared/corpus/real')) ? walk(join(here, '../shared/corpus/real'), []) : [])]
mkdirSync(out, {recursive: true})
const runs: [keyof typeof commands, string[], string][] = [
  ['analyze', ['--json'], 'analyze.json'],
  ['inspect', ['--json'], 'inspect.json'],
  ['report', ['-o', '-', '--as', 'md'], 'report.md'],
]
for (const input of inputs) {
  const key = relative(join(here, '..'), input).replaceAll('/', '__')
  for (const [cmd, flags, suffix] of runs) {
    process.exitCode = undefined
    const r = await captureOutput(() => commands[cmd].run([...flags, input], config))
    const error = r.error ? `\n--- error: ${r.error.message}\n` : ''
    writeFileSync(join(out, `${key}.${suffix}`), `${r.stdout}\n--- stderr\n${r.stderr}${error}--- exit ${process.exitCode ?? 0}\n`)
  }
}
process.exitCode = 0
console.log(`${inputs.length} inputs × ${runs.length} commands → ${out}`)
