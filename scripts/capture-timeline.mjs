#!/usr/bin/env node
// Captures `portleak timeline` on a corpus loop as text (tmux capture-pane), for the README: run after
// `npm run build`, from the repository root:  node scripts/capture-timeline.mjs [loop] [out]
// Writes docs/timeline.txt (the first screen at 100×30, then the details of the culprit) and puts the first
// screen into README.md between the `<!-- timeline:start -->` and `<!-- timeline:end -->` lines.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

const loop = process.argv[2] ?? 'corpus/netstat/loop-en-us-anobq-bound-leak.txt'
const out = process.argv[3] ?? 'docs/timeline.txt'
const socket = `portleak-capture-${process.pid}`
const tmux = (...args) => spawnSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})
const screen = () => (tmux('capture-pane', '-p', '-t', 'cap').stdout ?? '').replace(/\s+$/gm, '')

async function until(done, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (done()) return true
  return done()
}

if (spawnSync('tmux', ['-V']).status !== 0) {
  process.stderr.write('capture-timeline: tmux is not installed\n')
  process.exit(1)
}
try {
  const env = 'NO_COLOR=1 TZ=UTC'
  if (tmux('new-session', '-d', '-s', 'cap', '-x', '100', '-y', '30', `${env} node bin/run.js timeline '${loop}'`).status !== 0) {
    throw new Error('tmux could not start a session')
  }
  if (!(await until(() => screen().includes('? keys') && screen().includes('PID IMAGE'), 60_000))) throw new Error('the timeline did not start')
  await sleep(300)
  const first = screen()
  tmux('send-keys', '-t', 'cap', 'Enter')
  await until(() => screen().includes('seen '), 5000)
  await sleep(300)
  const details = screen()
  tmux('send-keys', '-t', 'cap', 'q')
  const text = [
    `$ portleak timeline ${loop}`,
    first,
    '',
    '(Enter: the details of the selected process)',
    details,
    '',
  ].join('\n')
  mkdirSync(dirname(out), {recursive: true})
  writeFileSync(out, text)
  process.stdout.write(`wrote ${out}\n`)
  const readme = 'README.md'
  const marked = /(<!-- timeline:start -->\n)[\s\S]*?(<!-- timeline:end -->)/
  if (existsSync(readme) && marked.test(readFileSync(readme, 'utf8'))) {
    const block = ['```text', `$ portleak timeline ${loop}`, first, '```', ''].join('\n')
    writeFileSync(readme, readFileSync(readme, 'utf8').replace(marked, (_, a, b) => `${a}${block}${b}`))
    process.stdout.write(`updated ${readme}\n`)
  }
} finally {
  tmux('kill-server')
}
