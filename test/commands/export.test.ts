import {mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import Papa from 'papaparse'
import {describe, expect, it} from 'vitest'

import Export from '../../src/commands/export.js'
import {runAnalysis} from '../../src/pipeline.js'
import {restoreProcessAfterEach} from '../helpers/commands.js'
import {loopText, tempFiles} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'

const config = await Config.load(import.meta.url)

restoreProcessAfterEach()

/** Runs `export` in-process into a fresh folder; returns the folder. */
async function exportTo(args: string[]): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'portleak-export-'))
  const r = await captureOutput(() => Export.run([...args, '--to', 'csv', '-o', out, '--force'], config))
  expect(r.error?.message).toBeUndefined()
  return out
}

/** A CSV file read the way a pivot table would: header row, every cell a string. */
function readCsv(dir: string, name: string): {fields: string[]; rows: Record<string, string>[]} {
  const text = readFileSync(join(dir, `${name}.csv`), 'utf8')
  expect(text.charCodeAt(0)).toBe(0xfeff)
  const parsed = Papa.parse<Record<string, string>>(text.slice(1), {header: true, skipEmptyLines: true})
  expect(parsed.errors).toEqual([])
  return {fields: parsed.meta.fields ?? [], rows: parsed.data}
}

describe('export', () => {
  it('writes a non-empty events table for an events-only upload', async () => {
    const dir = await exportTo(['corpus/tcpip-events/eventviewer-system-en-us.csv'])
    expect(readdirSync(dir).sort()).toEqual(['events.csv', 'findings.csv', 'handles.csv', 'process_states.csv', 'snapshots.csv', 'wide.csv'])
    const {fields, rows} = readCsv(dir, 'events')
    expect(fields).toEqual(['time', 'snapshot', 'id', 'source', 'message', 'path', 'line', 'outside_seconds'])
    expect(rows.length).toBeGreaterThan(0)
    for (const r of rows) {
      expect(r.id).toMatch(/^\d{4}$/)
      expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/)
      expect(r.source).toMatch(/tcpip/i)
      expect(r.message.length).toBeGreaterThan(10)
      expect(r.path).toBe('corpus/tcpip-events/eventviewer-system-en-us.csv')
      expect(Number(r.line)).toBeGreaterThan(0)
      // no snapshots in this upload: events sit on no snapshot
      expect(r.snapshot).toBe('')
    }
    expect(rows.some((r) => r.id === '4231' || r.id === '4227')).toBe(true)
    const times = rows.map((r) => r.time)
    expect([...times].sort()).toEqual(times)
  })

  it('writes the handle counts, one row per listing and process, in time order', async () => {
    const dir = await exportTo(['corpus/handle-exe/loop-a-p-4312.txt'])
    const {fields, rows} = readCsv(dir, 'handles')
    expect(fields).toEqual(['time', 'pid', 'process', 'handles', 'afd', 'path', 'line', 'outside_seconds'])
    expect(rows.length).toBeGreaterThan(1)
    for (const r of rows) {
      expect(r.pid).toBe('4312')
      expect(Number(r.handles)).toBeGreaterThan(0)
      expect(r.afd === '' || Number(r.afd) <= Number(r.handles)).toBe(true)
      expect(r.path).toBe('corpus/handle-exe/loop-a-p-4312.txt')
    }
    const times = rows.map((r) => r.time).filter(Boolean)
    expect([...times].sort()).toEqual(times)
  })

  it('writes a wide table: a row per snapshot, a column per process × state, equal to process_states', async () => {
    const [file] = tempFiles({'netstat.txt': loopText(SCENARIOS.boundLeak)})
    const dir = await exportTo([file!])
    const wide = readCsv(dir, 'wide')
    const long = readCsv(dir, 'process_states').rows
    const snapshots = readCsv(dir, 'snapshots').rows
    expect(wide.rows).toHaveLength(snapshots.length)
    expect(wide.fields.slice(0, 3)).toEqual(['snapshot', 'time', 'ephemeral_in_use'])
    const column = 'LeakyAgent.exe (4312) BOUND'
    // the leaking series is the busiest, so it comes first
    expect(wide.fields[3]).toBe(column)
    for (const name of wide.fields.slice(3)) expect(name).toMatch(/^.+ \(\d+\) [A-Z_]+$/)
    wide.rows.forEach((r, i) => {
      expect(r.snapshot).toBe(String(i))
      expect(r.time).toBe(snapshots[i]!.time)
      expect(r.ephemeral_in_use).toBe(snapshots[i]!.ephemeral_in_use)
      for (const name of wide.fields.slice(3)) {
        const [, proc, pid, state] = /^(.+) \((\d+)\) ([A-Z_]+)$/.exec(name)!
        const match = long.find((l) => l.snapshot === r.snapshot && l.pid === pid && l.process === (proc === '(unnamed)' ? '' : proc) && l.state === state)
        expect(r[name], `${name} at ${i}`).toBe(match ? match.count : '0')
      }
    })
    // the leak grows across the wide column
    expect(Number(wide.rows.at(-1)![column])).toBeGreaterThan(Number(wide.rows[0]![column]))
  })

  it('gives connections.csv the PID each row counts for and how it was attributed', async () => {
    const [file] = tempFiles({'netstat.txt': loopText(SCENARIOS.timeWaitLeak)})
    const dir = await exportTo([file!, '--connections'])
    const {fields, rows} = readCsv(dir, 'connections')
    expect(fields.slice(-3)).toEqual(['attributed_pid', 'attributed_process', 'attribution'])
    const doc = (await runAnalysis([file!], {})).document
    const tw = doc.attribution.timeWait
    const leaker = doc.findings.find((f) => f.state === 'TIME_WAIT')!
    expect(leaker.pid).toBe(2200)
    const pids = new Set(doc.processes.map((p) => p.pid).filter((p) => p !== 0))
    expect(rows.filter((r) => r.state === 'TIME_WAIT')).toHaveLength(tw.total)
    const count = (how: string) => rows.filter((r) => r.state === 'TIME_WAIT' && r.attribution === how).length
    // every TIME_WAIT row is counted exactly as the analysis counted it
    expect(count('lineage')).toBe(tw.lineage)
    expect(count('remote-affinity')).toBe(tw.remoteAffinity)
    expect(count('unattributed')).toBe(tw.unattributed)
    expect(count('owner')).toBe(tw.owner)
    expect(tw.lineage).toBeGreaterThan(100)
    for (const r of rows) {
      if (r.pid !== '0') expect([r.attribution, r.attributed_pid, r.attributed_process]).toEqual(['owner', r.pid, r.process])
      else if (r.attribution === 'lineage' || r.attribution === 'remote-affinity') {
        expect(r.state).toBe('TIME_WAIT')
        // a PID the loop shows, named as the analysis names it (this loop has no -b: no image names)
        expect(pids.has(Number(r.attributed_pid)), r.attributed_pid).toBe(true)
        expect(r.attributed_process).toBe('')
      } else expect([r.attribution, r.attributed_pid]).toEqual(['unattributed', ''])
    }
    const leakers = rows.filter((r) => r.attribution === 'lineage' && r.attributed_pid === '2200').length
    expect(leakers / tw.lineage).toBeGreaterThan(0.9)
  })
})
