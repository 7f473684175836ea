import {rmSync} from 'node:fs'
import {Readable} from 'node:stream'

import {describe, expect, it, onTestFinished} from 'vitest'

import {ingest} from '../../src/input/ingest.js'
import {inspectInputs, runAnalysis} from '../../src/pipeline.js'
import {HEADER, netstat, row, snapshot, tempTree} from './helpers.js'

const p2 = (n: number) => String(n).padStart(2, '0')
/** `2023-03-14 HH:MM:SS.00` for snapshot `i` of a one-minute loop starting at 09:00. */
const stampAt = (i: number) => `2023-03-14 ${p2(9 + Math.floor(i / 60))}:${p2(i % 60)}:00.00`

/** A loop that never ends (a live `netstat` loop piped into portleak): one growing BOUND snapshot per read. */
function endlessLoop(): Readable {
  let i = 0
  return new Readable({
    read() {
      const rows = Array.from({length: 20 + i}, (_, k) => row(49152 + k, 'BOUND', 4312, '0.0.0.0:0')).join('')
      this.push(Buffer.from(`${stampAt(i % 1440)} \r\n${HEADER}${rows}`))
      i++
    },
  })
}

describe('a directory with 3,000 small files', () => {
  it('is read completely, in path order, with the same summaries in inspect and analyze', async () => {
    const files: Record<string, string> = {}
    // Names that sort differently by code unit, by number and by creation order.
    for (let i = 0; i < 3000; i++) {
      const name = `srv${i % 7}/${i % 2 ? 'Netstat' : 'netstat'}-${(i * 7919) % 3000}.txt`
      files[name] = snapshot(`2023-03-14 10:${p2(Math.floor(i / 60) % 60)}:${p2(i % 60)}.00`, 1 + (i % 3))
    }
    const dir = tempTree(files)
    onTestFinished(() => rmSync(dir, {recursive: true, force: true}))
    const inspected = (await inspectInputs([dir], {})).inputs
    expect(inspected).toHaveLength(3000)
    const paths = inspected.map((s) => s.path)
    expect(paths).toEqual([...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    expect(inspected.every((s) => s.format === 'netstat' && s.error === null && s.snapshots === 1)).toBe(true)
    // Folders srv0…srv6 would be seven machines: read as one, the 3,000 snapshots make one timeline.
    const analysis = await runAnalysis([dir], {oneMachine: true})
    expect(analysis.document.inputs).toEqual(inspected)
    expect(analysis.document.snapshots).toBe(3000)
    const times = analysis.timeline.times as number[]
    expect(times.every((t, k) => k === 0 || t >= times[k - 1]!)).toBe(true)
  }, 120_000) // analyze reads each file's head twice (the first pass looks for netsh ranges): 6,000 reads on a loaded machine
})

describe('stdin that never ends', () => {
  it('stops at the abort signal with the rows read so far, flagged as partial', async () => {
    const controller = new AbortController()
    let stop = 0
    const analysis = await runAnalysis(['-'], {
      stdin: endlessLoop,
      signal: controller.signal,
      onProgress: (p) => {
        // The CLI has no byte or time bound for stdin (see the hardening report): Ctrl-C is the only stop.
        if (p.bytes > 2_000_000 && !controller.signal.aborted) {
          stop = p.bytes
          controller.abort()
        }
      },
    })
    const [input] = analysis.document.inputs
    expect(input).toMatchObject({path: '<stdin>', format: 'netstat', error: expect.stringMatching(/interrupted.*partial/)})
    expect(input!.bytes).toBe(stop)
    expect(input!.snapshots).toBeGreaterThan(50)
    expect(analysis.document.snapshots).toBeGreaterThanOrEqual(input!.snapshots - 1)
    expect(analysis.document.findings.some((f) => f.pid === 4312 && f.state === 'BOUND')).toBe(true)
  })

  // Regression (was a bug in src/input/ingest.ts ChunkReader.pull / parseInput): the signal is only looked at after a
  // chunk arrives, so Ctrl-C on a FIFO or a console stdin that has gone quiet waits for the next byte.
  it('stops at the abort signal while stdin is idle', async () => {
    const idle = new Readable({read() {}})
    idle.push(Buffer.from(`${stampAt(0)} \r\n${netstat(3)}`))
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const read = inspectInputs(['-'], {stdin: () => idle, signal: controller.signal})
    try {
      const outcome = await Promise.race([read, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1500))])
      expect(outcome).not.toBe('still waiting')
    } finally {
      idle.push(null)
      await read
    }
  })

  // Regression (was a bug in src/input/ingest.ts ingest(), `if (options.signal?.aborted) break`; the same in ingestZip):
  // inputs after the interrupted one are left out of the summaries instead of being listed as not read.
  it('lists the inputs it did not get to after an interrupt', async () => {
    const dir = tempTree({'a.txt': netstat(20000), 'b.txt': netstat(20000), 'c.txt': netstat(20000)})
    const controller = new AbortController()
    const inputs = await ingest([dir], {signal: controller.signal, onProgress: () => controller.abort()}, () => null)
    expect(inputs[0]!.error).toMatch(/interrupted/)
    expect(inputs.map((s) => s.path.slice(dir.length + 1))).toEqual(['a.txt', 'b.txt', 'c.txt'])
  })
})
