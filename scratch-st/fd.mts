import {execFileSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {inspectInputs} from '../src/pipeline.js'
const path = '/tmp/st/fdfifo'
try { execFileSync('mkfifo', [path]) } catch {}
for (let i = 0; i < Number(process.argv[2]); i++) {
  const w = open(path, 'w').then(async (fh) => { await fh.write('x'.repeat(5000)).catch(() => null); return fh })
  await inspectInputs([path], {maxBytes: 100})
  await (await w).close()
}
console.log('fds', readdirSync('/proc/self/fd').length)
