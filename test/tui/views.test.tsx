import {cleanup} from 'ink-testing-library'
import {afterEach, describe, expect, it} from 'vitest'

import type {Analysis} from '../../src/model/types.js'
import type {ExportConnection} from '../../src/report/export.js'
import {lineKey, type RowSource} from '../../src/tui/rows-model.js'
import {displayWidth} from '../../src/tui/text.js'
import {FIXTURE, makeFixtureAnalysis} from '../fixtures/analysis-fixture.js'
import {KEY, lineWith, renderApp, tableRows, waitFor} from './helpers.js'

afterEach(() => cleanup())

const cursorLine = (frame: string) => lineWith(frame, '▶ ')
const axisLine = (frame: string) => lineWith(frame, '└')
const statusLine = (frame: string) => frame.split('\n').at(-1) ?? ''

/** The fixture with its snapshots traced to one loop file, as the pipeline records them. */
function withSources(a: Analysis, path = 'upload.zip!logs/netstat_loop.txt'): Analysis {
  return {...a, timeline: {...a.timeline, sources: a.timeline.times.map((_, index) => ({path, index}))}}
}

const row = (i: number, line: number, r: Partial<ExportConnection>): ExportConnection => ({
  proto: 'TCP', localAddr: '10.20.30.41', localPort: 0, remoteAddr: '0.0.0.0', remotePort: 0, state: 'BOUND', pid: 4312,
  process: null, created: null, line, snapshot: i, path: 'upload.zip!logs/netstat_loop.txt', ...r,
})

/**
 * Rows as a spool gives them back: LeakyAgent (4312) holds 3 + i BOUND ports at snapshot i (one more each
 * snapshot), svchost (1876) three connections to a window of ports that moves one a snapshot (one new, one gone).
 * Counts the snapshots asked for, so the test can see that only the ones shown are read.
 */
function fakeRows(): RowSource & {asked: number[]} {
  const asked: number[] = []
  return {
    asked,
    at(_path, i) {
      asked.push(i)
      const out: ExportConnection[] = []
      for (let j = 0; j < 3 + i; j++) out.push(row(i, 1000 * i + j, {localPort: 50000 + j}))
      for (let j = 0; j < 3; j++) {
        out.push(row(i, 1000 * i + 900 + j, {pid: 1876, state: 'ESTABLISHED', localPort: 60000 + ((i + j) % 50), remoteAddr: '10.9.9.9\u001B]0;x\u0007', remotePort: 443}))
      }
      return out
    },
  }
}

describe('timeline: chart and status line', () => {
  it('draws the event markers (▲) on the time axis, at every zoom, and under the cursor on its snapshot', async () => {
    const {frame, press} = await renderApp(makeFixtureAnalysis(), {columns: 80, rows: 24, initialCursor: 0})
    // three events (4227 at #269, 4231 at #291 and #297) fall in the last fifth of the case
    const axis = axisLine(frame())
    expect(axis.match(/▲/g)?.length ?? 0).toBeGreaterThanOrEqual(2)
    expect(axis.indexOf('▲')).toBeGreaterThan(axis.length * 0.75)
    const atEvent = await press('t')
    expect(cursorLine(atEvent)).toContain('#269/300')
    // the cursor column shows the marker of its snapshot
    expect(axisLine(await press('z', 'z', 'z'))).toContain('▲')
  })

  it('says so when z cannot zoom further in, or Z further out', async () => {
    const {press, frame} = await renderApp(makeFixtureAnalysis())
    expect(statusLine(await press('Z'))).toContain('showing the whole case')
    let f = frame()
    for (let k = 0; k < 12 && !statusLine(f).includes('zoomed in fully'); k++) f = await press('z')
    expect(statusLine(f)).toContain('zoomed in fully: one snapshot per column')
    // the next key clears the note
    expect(statusLine(await press(KEY.left))).not.toContain('zoomed in fully')
  })

  it('fits the event message and the keys into 80 columns: the message on the status line, cut with …', async () => {
    const {frame, press} = await renderApp(makeFixtureAnalysis(), {columns: 80, rows: 24, initialCursor: 0})
    for (const l of frame().split('\n')) expect(displayWidth(l)).toBeLessThanOrEqual(80)
    // without an event the status line ends with whole key hints, not a cut-off word
    expect(statusLine(frame())).toMatch(/q quit\s*$/)
    const f = await press('t')
    expect(cursorLine(f)).toMatch(/▲ 4227/)
    expect(cursorLine(f)).toMatch(/zoom 1\/\d+\s*$/)
    expect(statusLine(f)).toMatch(/^▲ 4227 Tcpip: TCP\/IP failed .*…  \? keys$/)
    expect(displayWidth(statusLine(f))).toBe(80)
    // the header keeps the verdict and the peak in view
    expect(f.split('\n')[1]).toMatch(/EXHAUSTED +peak 100% of 16,384/)
  })

  it('names the machine and the loop in the title, not the first input', async () => {
    const a = withSources(makeFixtureAnalysis())
    const title = (await renderApp(a, {columns: 160, rows: 30})).frame().split('\n')[0]!
    expect(title).toContain(`portleak timeline · ${FIXTURE.host} · upload.zip!logs/netstat_loop.txt`)
    expect(title).not.toContain(a.document.inputs[0]!.path === 'upload.zip!logs/netstat_loop.txt' ? '\u0000' : a.document.inputs[0]!.path)
    const narrow = (await renderApp(a, {columns: 60, rows: 24})).frame().split('\n')[0]!
    expect(narrow).toMatch(new RegExp(`^${FIXTURE.host} · netstat_loop\\.txt`))
  })
})

describe('timeline: first appearance, diff and rows', () => {
  it('g jumps to the selected process\'s first appearance', async () => {
    const {press} = await renderApp(makeFixtureAnalysis())
    expect(tableRows(await press(KEY.down))[1]).toMatch(/^› +6244 w3wp\.exe/)
    const f = await press('g')
    expect(cursorLine(f)).toContain('#151/300')
    expect(statusLine(f)).toContain('w3wp.exe (PID 6244) first has rows at #151')
  })

  it('d shows new and gone sockets per process between the snapshot before the cursor and the cursor', async () => {
    const source = fakeRows()
    const {press} = await renderApp(withSources(makeFixtureAnalysis()), {columns: 120, rows: 40, source})
    const diff = await press('d')
    expect(diff).toContain('diff #299 (2026-01-14 12:13:00) → #300 (2026-01-14 12:14:00)')
    expect(diff).toContain('+2 new · -1 gone sockets')
    expect(diff).toMatch(/4312 LeakyAgent\.exe +\+1 +-0 +\+1/)
    expect(diff).toMatch(/1876 svchost\.exe +\+1 +-1 +0/)
    expect(diff).toContain('+ TCP  10.20.30.41:50301  0.0.0.0:0  BOUND  4312')
    // control characters in a row are shown inert
    expect(diff).toContain('10.9.9.9?]0;x?:443')
    expect(diff).not.toMatch(/[\u0000-\u0008\u000B-\u001F]/)
    expect(diff).not.toContain('TWAIT')
    // only the two snapshots compared were read back
    expect(new Set(source.asked)).toEqual(new Set([298, 299]))
    // b compares from the cursor; moving the cursor back then shows the sockets gone since
    await press('b')
    const back = await press(KEY.left, KEY.left)
    expect(back).toContain('diff #300 (2026-01-14 12:14:00) → #298')
    expect(back).toMatch(/4312 LeakyAgent\.exe +\+0 +-2 +-2/)
    // d (or Esc) goes back to the table
    expect(tableRows(await press('d'))).toHaveLength(4)
  })

  it('says a diff needs two snapshots, and shows an empty diff when nothing changed', async () => {
    const one = await renderApp(withSources(makeFixtureAnalysis({snapshots: 1, gapAfter: null})), {source: fakeRows()})
    expect(statusLine(await one.press('d'))).toContain('a diff needs two snapshots')
    cleanup()
    const {press} = await renderApp(withSources(makeFixtureAnalysis()), {source: {at: () => []}})
    expect(await press('d')).toContain('no socket came or went between these snapshots')
  })

  it('r lists the selected process\'s rows at the cursor\'s snapshot with file and line, following the cursor', async () => {
    const source = fakeRows()
    const {press} = await renderApp(withSources(makeFixtureAnalysis()), {columns: 120, rows: 40, source})
    const rows = await press('r')
    expect(rows).toContain('LeakyAgent.exe  PID 4312  at #300 (2026-01-14 12:14:00)  302 rows')
    expect(rows).toMatch(/upload\.zip!logs\/netstat_loop\.txt:299000 +TCP  10\.20\.30\.41:50000  0\.0\.0\.0:0  BOUND  4312/)
    expect(rows).not.toContain('svchost')
    const earlier = await press(KEY.left)
    expect(earlier).toContain('at #299 (2026-01-14 12:13:00)  301 rows')
    // ↓ scrolls, Esc goes back
    expect(await press(KEY.down, KEY.down)).not.toContain('PID 4312  at #299')
    expect(tableRows(await press(KEY.escape))).toHaveLength(4)
    // svchost's rows have a control character in the remote address: shown inert
    const svc = await press('/', 's', 'v', 'c', KEY.enter, 'r')
    expect(svc).toContain('svchost.exe  PID 1876')
    expect(svc).toContain('10.9.9.9?]0;x?:443')
    expect(svc).not.toMatch(/[\u0000-\u0008\u000B-\u001F]/)
  })
})

describe('timeline: the rows view quotes the source lines', () => {
  it('shows each row as written once the lines are read again, and the row as read where they cannot be', async () => {
    const asked: string[] = []
    const base = fakeRows()
    const source: RowSource = {
      at: (path, i) => base.at(path, i),
      // the lines as netstat wrote them; the first row's line could not be read again, one carries an escape
      raw: async (lines) => {
        const out = new Map<string, string>()
        for (const [path, ls] of lines) {
          asked.push(`${path}:${ls.length}`)
          for (const l of ls.slice(1)) out.set(lineKey(path, l), `  TCP    10.20.30.41:${50000 + (l % 1000)}     0.0.0.0:0              BOUND       4312${l % 1000 === 2 ? '\u001B[2J' : ''}`)
        }
        return out
      },
    }
    const {press} = await renderApp(withSources(makeFixtureAnalysis()), {columns: 120, rows: 40, source})
    await press('r')
    const rows = await press()
    expect(asked).toEqual(['upload.zip!logs/netstat_loop.txt:302'])
    // the first row (line 299000) was not read again: the row as read
    expect(rows).toMatch(/netstat_loop\.txt:299000 +TCP  10\.20\.30\.41:50000  0\.0\.0\.0:0  BOUND  4312/)
    // the others as written, with netstat's own spacing, and the escape shown inert
    expect(rows).toMatch(/netstat_loop\.txt:299001 +TCP {4}10\.20\.30\.41:50001 {5}0\.0\.0\.0:0 {14}BOUND {7}4312/)
    expect(rows).toContain('4312?[2J')
    expect(rows).not.toMatch(/[\u0000-\u0008\u000B-\u001F]/)
  })
})

describe('timeline: several machines', () => {
  const web = withSources(makeFixtureAnalysis(), 'SRV-WEB01/netstat.txt')
  const base = makeFixtureAnalysis({seed: 7, snapshots: 40, gapAfter: null})
  const sql = withSources({...base, document: {...base.document, host: 'SRV-SQL02'}}, 'SRV-SQL02/netstat.txt')
  const machines = {
    rows: [
      ['SRV-WEB01', 'exhausted', '100.0 %', 'LeakyAgent.exe (4312) BOUND, critical', '2026-01-14 07:00 → 12:14'],
      ['SRV-SQL02', 'exhausted', '100.0 %', 'LeakyAgent.exe (4312) BOUND, critical', '2026-01-14 07:00 → 07:39'],
    ],
    analyses: [web, sql],
  }

  it('opens on the machine picker, switches with ↓ Enter, and m opens the picker again', async () => {
    const {frame, press} = await renderApp(web, {columns: 120, rows: 30, machines})
    const picker = frame()
    expect(picker).toContain('2 machines or timelines in this upload')
    expect(lineWith(picker, '› ')).toMatch(/^› SRV-WEB01 +exhausted/)
    expect(picker).toContain('SRV-SQL02')
    expect(picker).not.toContain('TWAIT')
    await press(KEY.down, KEY.enter)
    // the switch re-renders from the top component, one effect later
    expect(await waitFor(() => frame().includes('SRV-SQL02 (2 of 2'), 8000)).toBe(true)
    const second = frame()
    expect(second.split('\n')[0]).toContain('SRV-SQL02 (2 of 2, m: machines) · SRV-SQL02/netstat.txt')
    expect(cursorLine(second)).toContain('#40/40')
    expect(tableRows(second).length).toBeGreaterThan(0)
    await press('m')
    expect(await waitFor(() => frame().includes('machines or timelines in this upload'), 8000)).toBe(true)
    const again = frame()
    expect(lineWith(again, '› ')).toMatch(/^› SRV-SQL02 .*\(shown\)/)
    await press(KEY.up, KEY.enter)
    expect(await waitFor(() => frame().includes('SRV-WEB01 (1 of 2'), 8000)).toBe(true)
    const first = frame()
    expect(first.split('\n')[0]).toContain('SRV-WEB01 (1 of 2, m: machines)')
    expect(cursorLine(first)).toContain('#300/300')
  })

  it('closes the picker with Esc on the machine shown; m with one machine says so', async () => {
    const {press} = await renderApp(web, {machines})
    const closed = await press(KEY.escape)
    expect(closed.split('\n')[0]).toContain('SRV-WEB01 (1 of 2')
    expect(tableRows(closed)).toHaveLength(4)
    cleanup()
    const single = await renderApp(web)
    expect(statusLine(await single.press('m'))).toContain('one machine in this upload')
  })
})
