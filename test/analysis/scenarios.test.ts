import {describe, expect, it} from 'vitest'

import type {LoopScenario} from '../../src/synth/loop.js'
import {SCENARIOS} from '../helpers/scenarios.js'
import {analyzeScenario} from '../helpers/run.js'

const start = new Date(Date.UTC(2024, 0, 15, 22, 0, 0))
const base = {interval: 60, jitter: 4, start, dateStyle: 'en-US', owners: true, bound: true} as const
const healthyBackground = [
  {pid: 1712, name: 'svchost.exe', service: 'RpcSs', listen: [135], behaviour: {kind: 'steady', established: 25, noise: 10, timeWaitChurn: 6}},
  {pid: 3020, name: 'w3wp.exe', listen: [80, 443], behaviour: {kind: 'steady', established: 80, noise: 30, timeWaitChurn: 20}},
] as const satisfies LoopScenario['processes']

const growthFindings = (doc: {findings: {kind: string}[]}) => doc.findings.filter((f) => f.kind.endsWith('growth'))

describe('analysis scenarios', () => {
  it('names a BOUND leak, its slope, its start and a projected exhaustion', async () => {
    const {document: doc} = await analyzeScenario(SCENARIOS.boundLeak)
    const f = doc.findings[0]!
    expect(f).toMatchObject({kind: 'monotonic-growth', process: 'LeakyAgent.exe', pid: 4312, state: 'BOUND', severity: 'critical', attribution: 'owner'})
    expect(f.slopePerHour).toBeGreaterThan(800)
    expect(f.slopePerHour).toBeLessThan(1000)
    expect(f.growthStart).toBe('2023-03-10T08:55:00.000')
    expect(f.projectedExhaustion).not.toBeNull()
    expect(f.evidence[0]!.path).toMatch(/netstat\.txt$/)
    expect(doc.verdict.status).toBe('at-risk')
    expect(growthFindings(doc).filter((g) => (g as {process: string | null}).process !== 'LeakyAgent.exe')).toEqual([])
  })

  it('names a CLOSE_WAIT leak that starts after a quiet hour', async () => {
    const {document: doc} = await analyzeScenario({
      ...base,
      seed: 21,
      snapshots: 180,
      processes: [...healthyBackground, {pid: 6120, name: 'javaw.exe', behaviour: {kind: 'leak', state: 'CLOSE_WAIT', perHour: 150, start: 60}}],
    })
    const f = growthFindings(doc)
    expect(f.map((x) => [(x as {process: string}).process, (x as {state: string}).state])).toEqual([['javaw.exe', 'CLOSE_WAIT']])
    const growthStart = Date.parse(`${doc.findings[0]!.growthStart}Z`)
    // The leak starts at snapshot 60, about an hour in; the hinge fit finds it within ~15 minutes.
    expect(Math.abs(growthStart - (start.getTime() + 60 * 60_000))).toBeLessThan(15 * 60_000)
  })

  it('attributes a TIME_WAIT leak seen only as PID 0 rows by tuple lineage', async () => {
    const {document: doc} = await analyzeScenario({
      ...base,
      seed: 5,
      snapshots: 60,
      processes: [...healthyBackground, {pid: 2200, name: 'backup.exe', behaviour: {kind: 'timewait-leak', perMinute: 10, growthPerHour: 60, remote: '10.0.0.60:443'}}],
    })
    const f = growthFindings(doc).find((x) => (x as {state: string}).state === 'TIME_WAIT')!
    expect(f).toMatchObject({process: 'backup.exe', pid: 2200, attribution: 'lineage'})
    expect(doc.attribution.timeWait.lineage).toBeGreaterThan(1000)
  })

  it('attributes PID 0 TIME_WAIT rows by remote-endpoint affinity when no tuple was ever seen alive', async () => {
    const {document: doc} = await analyzeScenario({
      ...base,
      seed: 8,
      snapshots: 60,
      processes: [...healthyBackground, {pid: 2200, name: 'poller.exe', behaviour: {kind: 'timewait-leak', perMinute: 10, growthPerHour: 60, remote: '10.0.0.61:8080', unseen: true}}],
    })
    const f = growthFindings(doc).find((x) => (x as {state: string}).state === 'TIME_WAIT')!
    expect(f).toMatchObject({process: 'poller.exe', attribution: 'remote-affinity'})
    expect(doc.attribution.timeWait.remoteAffinity).toBeGreaterThan(1000)
  })

  it('folds growth that restarts under new PIDs into one sawtooth finding listing the PIDs', async () => {
    const {document: doc} = await analyzeScenario({
      ...base,
      seed: 13,
      snapshots: 90,
      processes: [...healthyBackground, {pid: 7000, name: 'Connector.exe', behaviour: {kind: 'sawtooth', state: 'BOUND', perHour: 1200, restartEvery: 30}}],
    })
    const f = growthFindings(doc)
    expect(f).toHaveLength(1)
    expect(f[0]).toMatchObject({kind: 'sawtooth-growth', process: 'Connector.exe', state: 'BOUND', pids: [7000, 7004, 7008]})
  })

  it('finds nothing in a busy, noisy, healthy server', async () => {
    for (const seed of [1, 2, 3]) {
      const {document: doc} = await analyzeScenario({...base, seed, snapshots: 120, processes: healthyBackground})
      expect(growthFindings(doc)).toEqual([])
      expect(doc.verdict.status).toBe('healthy')
    }
  })

  it('keeps a PID reused by another image apart as two processes', async () => {
    const {document: doc} = await analyzeScenario({
      ...base,
      seed: 17,
      snapshots: 40,
      processes: [
        ...healthyBackground,
        {pid: 5000, name: 'updater.exe', to: 19, behaviour: {kind: 'steady', established: 6, noise: 1}},
        {pid: 5000, name: 'reporter.exe', from: 22, behaviour: {kind: 'steady', established: 9, noise: 1}},
      ],
    })
    const p5000 = doc.processes.filter((p) => p.pid === 5000).map((p) => p.name).sort()
    expect(p5000).toEqual(['reporter.exe', 'updater.exe'])
    const updater = doc.processes.find((p) => p.name === 'updater.exe')!
    expect(Date.parse(`${updater.lastSeen}Z`)).toBeLessThan(Date.parse(`${doc.processes.find((p) => p.name === 'reporter.exe')!.firstSeen}Z`))
  })

  it('takes the sampling interval from the timestamps, gaps included', async () => {
    const {document: doc} = await analyzeScenario({...base, seed: 4, snapshots: 30, interval: 15, jitter: 0, gaps: [[10, 3600]], processes: healthyBackground})
    expect(doc.sampling.medianIntervalSeconds).toBeCloseTo(15, 0)
    expect(doc.sampling.gaps).toHaveLength(1)
    expect(doc.sampling.gaps[0]!.seconds).toBeGreaterThan(3600)
  })
})
