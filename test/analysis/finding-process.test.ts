import {describe, expect, it} from 'vitest'

import {findingMatches, findingPids} from '../../src/analysis/finding-process.js'
import {maxDrawnStep} from '../../src/analysis/gaps.js'
import type {Finding} from '../../src/model/types.js'
import {buildReportModel} from '../../src/report/model.js'
import {buildViewModel} from '../../src/tui/view-model.js'
import {makeFixtureAnalysis} from '../fixtures/analysis-fixture.js'

const finding = (f: Pick<Finding, 'pid' | 'pids' | 'process'>) => f

describe('findingMatches: one rule for the report and the TUI', () => {
  it('matches a named PID only while the image agrees (PIDs are reused); an unknown image does not veto', () => {
    const f = finding({pid: 4312, pids: [4312, 5120], process: 'LeakyAgent.exe'})
    expect(findingPids(f)).toEqual([4312, 5120])
    expect(findingMatches(f, {pid: 5120, name: 'LeakyAgent.exe'})).toBe(true)
    expect(findingMatches(f, {pid: 5120, name: 'notepad.exe'})).toBe(false)
    expect(findingMatches(f, {pid: 5120, name: null})).toBe(true)
    expect(findingMatches(f, {pid: 5120, name: ''})).toBe(true)
    expect(findingMatches(f, {pid: 77, name: 'LeakyAgent.exe'})).toBe(false)
  })

  it('matches a finding without PIDs by its image name, and nothing when it names neither', () => {
    expect(findingPids(finding({pid: 9, pids: [], process: null}))).toEqual([9])
    expect(findingMatches(finding({pid: null, pids: [], process: 'w3wp.exe'}), {pid: 1, name: 'w3wp.exe'})).toBe(true)
    expect(findingMatches(finding({pid: null, pids: [], process: 'w3wp.exe'}), {pid: 1, name: 'svchost.exe'})).toBe(false)
    expect(findingMatches(finding({pid: null, pids: [], process: null}), {pid: 1, name: null})).toBe(false)
  })

  it('draws a finding that names only its image from that process in the report, as the TUI flags it', () => {
    const analysis = makeFixtureAnalysis()
    const leak = analysis.document.findings[0]!
    const byName = {...leak, pid: null, pids: []}
    const named = {...analysis, document: {...analysis.document, findings: [leak, byName]}}
    const [withPid, withName] = buildReportModel(named).culprits
    expect(withName!.points.map((p) => p.y)).toEqual(withPid!.points.map((p) => p.y))
    expect(withName!.points.some((p) => (p.y ?? 0) > 0)).toBe(true)
    const flagged = buildViewModel(named).procs.filter((p) => p.findings.includes(byName)).map((p) => p.series.pid)
    expect(flagged).toEqual(findingPids(leak))
  })
})

describe('maxDrawnStep', () => {
  it('draws steps up to three median steps, and at least 90 s, as lines', () => {
    expect(maxDrawnStep(60_000)).toBe(180_000)
    expect(maxDrawnStep(10_000)).toBe(90_000)
  })
})
