import Papa from 'papaparse'
import {describe, expect, it} from 'vitest'

import {type Cell, type ExportConnection, type Table, csvChunks, exportTables, neutralise, toCsv, toJsonl} from '../../src/report/export.js'
import {inert} from '../../src/report/escape.js'
import {FIXTURE, makeFixtureAnalysis} from '../fixtures/analysis-fixture.js'

const rowsOf = (t: Table) => [...t.rows]
const jsonl = (t: Table) => toJsonl(t).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, Cell>)

/** Reads CSV back the way a notebook would: header row, numbers and booleans typed by column. */
function readCsv(t: Table, csv: string): Record<string, Cell>[] {
  expect(csv.charCodeAt(0)).toBe(0xfeff)
  const typed = new Set(t.columns.filter((c) => c.type !== 'string').map((c) => c.name))
  const parsed = Papa.parse<Record<string, Cell>>(csv.slice(1), {
    header: true, skipEmptyLines: true, dynamicTyping: (field) => typed.has(String(field)),
  })
  expect(parsed.errors).toEqual([])
  return parsed.data
}

/** JSONL rows as CSV can hold them: a null text cell reads back as ''. */
/** What a CSV cell holds for a JSON Lines value: '' for null text, input strings made inert. */
const asCsvCells = (t: Table, rows: Record<string, Cell>[]) =>
  rows.map((r) =>
    Object.fromEntries(
      t.columns.map((c) => {
        const v = r[c.name]!
        return [c.name, c.type === 'string' && v === null ? '' : typeof v === 'string' ? inert(v) : v]
      }),
    ),
  )

describe('exportTables', () => {
  const analysis = makeFixtureAnalysis()
  const tables = exportTables(analysis)

  it('has one snapshot row per snapshot with per-state totals', () => {
    const rows = rowsOf(tables.snapshots)
    expect(rows).toHaveLength(300)
    expect(tables.snapshots.columns.map((c) => c.name).slice(0, 7)).toEqual(['snapshot', 'time', 'host', 'rows', 'ephemeral_in_use', 'ephemeral_addr', 'truncated'])
    expect(rows[0]).toMatchObject({snapshot: 0, time: '2026-01-14T07:00:00.000', host: FIXTURE.host, ephemeral_addr: FIXTURE.localAddr, truncated: false})
    expect(rows[299]!.ephemeral_in_use).toBe(16_384)
    expect(rows[299]!.bound).toBe(analysis.timeline.totalsByState.BOUND![299])
    expect(rows[299]!.syn_sent).toBe(0)
  })

  it('lists process states only where the count is not zero', () => {
    const rows = rowsOf(tables.process_states)
    expect(rows.every((r) => typeof r.count === 'number' && r.count !== 0)).toBe(true)
    const leakyBound = rows.filter((r) => r.pid === FIXTURE.leaky.pid && r.state === 'BOUND')
    expect(leakyBound).toHaveLength(300)
    expect(leakyBound[0]).toEqual({snapshot: 0, time: '2026-01-14T07:00:00.000', pid: 4312, process: 'LeakyAgent.exe', state: 'BOUND', count: 50})
    expect(rows.filter((r) => r.pid === 5120 && (r.snapshot as number) >= 150)).toEqual([])
    expect(rows.some((r) => r.state === 'UDP' && r.pid === FIXTURE.svchost.pid)).toBe(true)
  })

  it('has one row per finding', () => {
    const rows = rowsOf(tables.findings)
    expect(rows.map((r) => r.kind)).toEqual(['monotonic-growth', 'sawtooth-growth', 'high-handle-count', 'dump-top-holder'])
    expect(rows[1]).toMatchObject({pids: '5120 6244', state: 'CLOSE_WAIT', remote: `${FIXTURE.sqlServer}:1433`, evidence_rows: 3})
    expect(rows[0]!.first_evidence).toBe('upload.zip!logs/netstat_loop.txt:20')
  })

  it('writes CSV with a BOM and CRLF that reads back equal to the JSON Lines', () => {
    for (const t of [tables.snapshots, tables.process_states, tables.findings]) {
      const csv = toCsv(t)
      expect(csv.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
      expect(csv.endsWith('\r\n')).toBe(true)
      expect(readCsv(t, csv)).toEqual(asCsvCells(t, jsonl(t)))
    }
  })

  it('writes JSON Lines with keys in column order', () => {
    const text = toJsonl(tables.findings)
    expect(text.endsWith('}\n')).toBe(true)
    expect(Object.keys(jsonl(tables.findings)[0]!)).toEqual(tables.findings.columns.map((c) => c.name))
  })

  it('produces the same CSV however the rows are batched', () => {
    expect([...csvChunks(tables.process_states, 7)].join('')).toBe(toCsv(tables.process_states))
  })
})

describe('CSV formula injection', () => {
  const analysis = makeFixtureAnalysis({hostile: true})
  const finding = analysis.document.findings[1]!
  finding.slopePerHour = -12.5
  finding.summary = '-2+3 cmd|" /C calc"!A0'
  analysis.document.findings[2]!.summary = '@SUM(1+1)'
  analysis.document.findings[3]!.summary = '\tTAB and\rCR'
  const tables = exportTables(analysis)

  it('prefixes text cells starting with = + - @, not numbers; tab and CR are shown as escapes', () => {
    expect(neutralise('=1+1')).toBe("'=1+1")
    expect(neutralise('+1')).toBe("'+1")
    expect(neutralise('-1')).toBe("'-1")
    expect(neutralise('@x')).toBe("'@x")
    expect(neutralise('\tx')).toBe('\\tx')
    expect(neutralise('\rx')).toBe('\\rx')
    expect(neutralise('=a\u001b[2J\u009b31m\u202eb\nHEALTHY')).toBe("'=a\\x1b[2J\\x9b31m\\u202eb\\nHEALTHY")
    expect(neutralise(-1)).toBe(-1)
    expect(neutralise('a=b')).toBe('a=b')
    expect(neutralise(null)).toBe(null)
  })

  it('neutralises the hostile process name and summaries in the CSV, keeps them in JSON Lines', () => {
    const csv = toCsv(tables.findings)
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`)
    const back = readCsv(tables.findings, csv)
    expect(back[1]!.process).toBe(`'${FIXTURE.hostile.w3wp}`)
    expect(back[1]!.summary).toBe(`'-2+3 cmd|" /C calc"!A0`)
    expect(back[2]!.summary).toBe("'@SUM(1+1)")
    expect(back[3]!.summary).toBe('\\tTAB and\\rCR')
    expect(back[1]!.slope_per_hour).toBe(-12.5)
    expect(jsonl(tables.findings)[1]!.process).toBe(FIXTURE.hostile.w3wp)
  })

  it('reads back equal to the JSON Lines once the prefix is removed', () => {
    for (const t of [tables.process_states, tables.findings, tables.snapshots]) {
      const back = readCsv(t, toCsv(t)).map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v])),
      )
      expect(back).toEqual(asCsvCells(t, jsonl(t)))
    }
  })
})

describe('events, handles and wide tables', () => {
  const analysis = makeFixtureAnalysis()
  const tables = exportTables(analysis)

  it('has one events row per event, column by column, the message neutralised in CSV', () => {
    const back = readCsv(tables.events, toCsv(tables.events))
    const events = analysis.timeline.events
    expect(back).toHaveLength(events.length)
    back.forEach((r, i) => {
      const e = events[i]!
      expect(r.id).toBe(e.id)
      expect(r.snapshot).toBe(e.snapshot)
      expect(r.source).toBe(e.source)
      expect(r.path).toBe(e.path)
      expect(r.line).toBe(e.line)
      expect(r.message).toBe(neutralise(e.message))
      expect(String(r.message)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/)
    })
  })

  it('has one handles row per listing point, in time order', () => {
    const back = readCsv(tables.handles, toCsv(tables.handles))
    expect(back).toHaveLength(analysis.timeline.handles.reduce((n, h) => n + h.points.length, 0))
    const leaky = back.filter((r) => r.pid === FIXTURE.leaky.pid)
    expect(leaky.length).toBeGreaterThan(10)
    expect(leaky.every((r) => r.process === 'LeakyAgent.exe' && typeof r.handles === 'number')).toBe(true)
    const times = back.map((r) => r.time).filter((t): t is string => typeof t === 'string' && t !== '')
    expect([...times].sort()).toEqual(times)
  })

  it('has a wide table whose process columns are neutralised in the CSV header and equal the series', () => {
    const hostile = makeFixtureAnalysis({hostile: true})
    const t = exportTables(hostile).wide
    const csv = toCsv(t)
    const header = Papa.parse<string[]>(csv.slice(1).split('\r\n')[0]!).data[0]!
    const names = t.columns.map((c) => c.name)
    expect(header).toEqual(names.map((n) => neutralise(n)))
    const leaky = hostile.timeline.processes.find((p) => p.pid === FIXTURE.leaky.pid)!
    const column = `${leaky.name} (${FIXTURE.leaky.pid}) BOUND`
    expect(names).toContain(column)
    expect(names.some((n) => /^[=+\-@]/.test(n))).toBe(true)
    expect(header.some((n) => /^'[=+\-@]/.test(n))).toBe(true)
    expect(header.join('')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/)
    const rows = rowsOf(t)
    expect(rows).toHaveLength(hostile.timeline.times.length)
    rows.forEach((r, i) => expect(r[column]).toBe(leaky.byState.BOUND![i]))
  })
})

describe('connections table', () => {
  const analysis = makeFixtureAnalysis()
  const connections: ExportConnection[] = [
    {proto: 'TCP', localAddr: FIXTURE.localAddr, localPort: 49_700, remoteAddr: '0.0.0.0', remotePort: 0, state: 'BOUND', pid: 4312,
      process: 'LeakyAgent.exe', created: null, line: 20, snapshot: 0, path: 'upload.zip!logs/netstat_loop.txt'},
    {proto: 'UDP', localAddr: '::', localPort: 123, remoteAddr: '*', remotePort: -1, state: null, pid: -1, process: '+cmd',
      created: Date.UTC(2026, 0, 14, 6, 0, 0), line: 21, snapshot: 299},
  ]
  const table = exportTables(analysis, {connections}).connections!

  it('adds the snapshot time and keeps negative ports numeric', () => {
    const csv = toCsv(table)
    const back = readCsv(table, csv)
    expect(back[0]).toMatchObject({snapshot: 0, time: '2026-01-14T07:00:00.000', proto: 'TCP', local_port: 49_700, state: 'BOUND', pid: 4312})
    expect(back[1]).toMatchObject({time: '2026-01-14T12:14:00.000', remote_port: -1, pid: -1, state: '', process: "'+cmd", created: '2026-01-14T06:00:00.000', path: ''})
    expect(csv.split('\r\n')[2]).toContain(',-1,')
  })

  it('is absent unless connections are given', () => {
    expect(exportTables(analysis).connections).toBeUndefined()
  })
})
