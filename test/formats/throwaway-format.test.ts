import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {describe, expect, it, vi} from 'vitest'

import Formats from '../../src/commands/formats.js'
import Inspect from '../../src/commands/inspect.js'
import {detectFormat, formats} from '../../src/formats/registry.js'
import type {Format, RecordSink} from '../../src/formats/types.js'
import {inspectInputs, runAnalysis} from '../../src/pipeline.js'
import {restoreProcessAfterEach} from '../helpers/commands.js'
import {readSample} from '../helpers/format-samples.js'
import {tempFiles} from '../helpers/run.js'

// Adding a format is one module object and one registry line. This test does exactly that for a made-up
// tool's output and touches nothing else: the module is the object below, the registry line the mock.
const sockstat = vi.hoisted(() => {
  const ROW = /^(TCP|UDP) (\d+) (\S+):(\d+) (\S+):(\d+|\*) ?(\S*)$/
  const format: Format<'sockstat'> = {
    id: 'sockstat',
    title: 'sockstat (a made-up tool)',
    version: '0.1',
    description: 'sockstat -p output: one socket per line after a `# sockstat` banner',
    commands: ['sockstat -p'],
    records: ['connection'],
    samples: [{name: 'two sockets', lines: ['# sockstat 1.0', 'TCP 4312 10.0.0.5:49702 10.0.0.9:443 ESTABLISHED', 'UDP 3104 0.0.0.0:500 *:*', 'garbage']}],
    detect: (sample) => (sample.trimStart().startsWith('# sockstat ') ? 0.9 : 0),
    create: (sink: RecordSink) => ({
      line(text, line) {
        if (text.startsWith('# sockstat ')) return sink.structure()
        const m = ROW.exec(text)
        if (!m) return sink.skip(line, 'junk', text)
        const [, proto, pid, la, lp, ra, rp, state] = m
        sink.connection({
          proto: proto as 'TCP' | 'UDP',
          localAddr: la!,
          localPort: Number(lp),
          remoteAddr: ra!,
          remotePort: rp === '*' ? -1 : Number(rp),
          state: state ? (state as 'ESTABLISHED') : null,
          pid: Number(pid),
          process: null,
          created: null,
          line,
        })
      },
      end() {},
    }),
  }
  return format
})

vi.mock('../../src/formats/registry.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/formats/registry.js')>()
  const list = [...real.formats, sockstat] as unknown as typeof real.formats
  return {...real, formats: list, ...real.registryOf(list)}
})

const config = await Config.load(import.meta.url)
restoreProcessAfterEach()
const sample = sockstat.samples[0]!
const text = 'lines' in sample ? `${sample.lines.join('\n')}\n` : ''
const [file] = tempFiles({'sockets.txt': text})

describe('a format added in one module and one registry line', () => {
  it('is in the registry and is detected', () => {
    expect(formats.map((f) => f.id)).toContain('sockstat')
    expect(detectFormat(text)?.parser.id).toBe('sockstat')
  })

  it('passes the generic sample test: detected, declared record kinds, every line accounted for', async () => {
    const r = await readSample(sockstat, sample, (t) => detectFormat(t)?.parser.id ?? null)
    expect(r).toMatchObject({detected: 'sockstat', kinds: ['connection'], records: 2, lines: 4, accounted: 4})
  })

  it('is listed by `portleak formats --json`', async () => {
    const out = await captureOutput(() => Formats.run(['--json'], config))
    const doc = JSON.parse(out.stdout) as {formats: {id: string; title: string; commands: string[]}[]}
    expect(doc.formats.at(-1)).toMatchObject({id: 'sockstat', title: 'sockstat (a made-up tool)', commands: ['sockstat -p']})
  })

  it('is read through the pipeline and accepted by --format', async () => {
    const summary = (await inspectInputs([file!], {})).inputs[0]!
    expect(summary).toMatchObject({format: 'sockstat', records: 2, skipped: 1, byProto: {TCP: 1, UDP: 1}})
    const out = await captureOutput(() => Inspect.run(['--json', '--format', 'sockstat', file!], config))
    expect(out.error).toBeUndefined()
    expect(JSON.parse(out.stdout).inputs[0].format).toBe('sockstat')
    const analysis = await runAnalysis([file!], {})
    expect(analysis.document.inputs[0]!.format).toBe('sockstat')
  })
})
