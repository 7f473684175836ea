#!/usr/bin/env node
// Byte-identical check of the netstat row kernel: runs the built CLI's `inspect --json` and `analyze --json`
// on every file under the given folders (default: corpus/ and ../shared/corpus/real) with the compiled
// kernel (PORTLEAK_KERNEL=wasm) and with the JavaScript reader (PORTLEAK_KERNEL=js), and compares stdout,
// stderr and exit status byte for byte. Also with worker threads forced on small inputs (--threads).
//   node scripts/kernel-compare.mjs [--threads] [folder…]
import {spawn} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const threads = args.includes('--threads')
const folders = args.filter((a) => a !== '--threads')
const roots = folders.length > 0 ? folders : [join(root, 'corpus'), join(root, '../shared/corpus/real')]

function files(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p) : name.endsWith('.md') || name === 'expect.json' ? [] : [p]
  })
}

function run(kernel, argv) {
  return new Promise((resolve) => {
    const env = {...process.env, NO_COLOR: '1', PORTLEAK_KERNEL: kernel}
    if (threads) Object.assign(env, {PORTLEAK_PARALLEL_MIN: '1000', PORTLEAK_THREADS: ''})
    const child = spawn('node', [join(root, 'bin/run.js'), ...argv], {env})
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('close', (code) => resolve(`${code}\n${out}\n${err}`))
  })
}

const list = roots.flatMap(files).sort()
let same = 0
const differ = []
for (const f of list) {
  for (const cmd of ['inspect', 'analyze']) {
    const argv = [cmd, '--json', f]
    const [a, b] = await Promise.all([run('wasm', argv), run('js', argv)])
    if (a === b) same++
    else differ.push(`${cmd} ${f}`)
  }
}
console.log(`${list.length} files, ${same} of ${list.length * 2} inspect/analyze outputs identical${threads ? ' (worker threads forced)' : ''}`)
for (const d of differ) console.log(`DIFFERS: ${d}`)
process.exit(differ.length > 0 ? 1 : 0)
