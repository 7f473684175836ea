import {afterEach, describe, expect, it} from 'vitest'
import {cleanup} from 'ink-testing-library'

import type {Analysis} from '../../src/model/types.js'
import {displayWidth} from '../../src/tui/text.js'
import {colorTheme} from '../../src/tui/theme.js'
import {FIXTURE, makeFixtureAnalysis} from '../fixtures/analysis-fixture.js'
import {axisLabels, KEY, lineWith, renderApp, tableRows, waitFor} from './helpers.js'

const analysis = makeFixtureAnalysis()
const cursorLine = (frame: string) => lineWith(frame, '▶ ')
const pids = (frame: string) => tableRows(frame).map((l) => Number(/^[› ]\s*(\d+)/.exec(l)![1]))

afterEach(() => cleanup())

describe('timeline App', () => {
  it('shows the verdict in the header and the culprit selected at the top of the table', async () => {
    const {frame} = await renderApp(analysis)
    const f = frame()
    expect(f.split('\n')[0]).toContain(FIXTURE.host)
    expect(f.split('\n')[1]).toContain('EXHAUSTED')
    const rows = tableRows(f)
    expect(rows[0]).toMatch(/^› +4312 LeakyAgent\.exe/)
    expect(rows[0]).toContain('crit BOUND')
    expect(cursorLine(f)).toContain('2026-01-14 12:14:00')
    expect(cursorLine(f)).toContain('#300/300')
    expect(cursorLine(f)).toContain('16,384/16,384 in use (100%)')
  })

  it('lists the processes that have rows at the cursor, with counts at that snapshot', async () => {
    const start = (await renderApp(analysis, {initialCursor: 0})).frame()
    expect(cursorLine(start)).toContain('2026-01-14 07:00:00')
    expect(pids(start)).toContain(FIXTURE.w3wp.pids[0])
    expect(pids(start)).not.toContain(FIXTURE.w3wp.pids[1])
    // at the start LeakyAgent holds 50 BOUND ports: its change since the start is 0
    expect(lineWith(start, 'LeakyAgent.exe')).toMatch(/ 50 .* 0 /)
    const end = (await renderApp(analysis)).frame()
    expect(pids(end)).toContain(FIXTURE.w3wp.pids[1])
    expect(pids(end)).not.toContain(FIXTURE.w3wp.pids[0])
    // attributed TIME_WAIT rows carry a ~
    expect(lineWith(end, 'svchost.exe')).toMatch(/~\d+/)
  })

  it('moves the cursor with the arrows, Shift+arrows, PgUp/PgDn, Home and End', async () => {
    const {press} = await renderApp(analysis)
    expect(cursorLine(await press(KEY.left))).toContain('12:13:00')
    expect(cursorLine(await press(KEY.home))).toContain('#1/300')
    expect(cursorLine(await press(KEY.right))).toContain('2026-01-14 07:01:00')
    expect(cursorLine(await press(KEY.pageDown))).toContain('#32/300')
    expect(cursorLine(await press(KEY.shiftRight))).toContain('#62/300')
    expect(cursorLine(await press(KEY.shiftLeft, KEY.pageUp))).toContain('#2/300')
    expect(cursorLine(await press(KEY.end))).toContain('#300/300')
    expect(cursorLine(await press(KEY.right))).toContain('#300/300')
  })

  it('jumps to the next event marker with t and names the event', async () => {
    const {press} = await renderApp(analysis, {initialCursor: 0})
    const first = cursorLine(await press('t'))
    expect(first).toContain('#269/300')
    expect(first).toContain('▲ 4227 Tcpip')
    expect(cursorLine(await press('t'))).toContain('▲ 4231')
  })

  it('filters the table by name or PID after / and Enter, and Esc clears it', async () => {
    const {press} = await renderApp(analysis)
    const typing = await press('/', 's', 'v', 'c')
    expect(typing.split('\n').at(-1)).toContain('/svc')
    expect(pids(typing)).toHaveLength(4)
    const applied = await press(KEY.enter)
    expect(pids(applied)).toEqual([FIXTURE.svchost.pid])
    expect(applied).toContain('filter "svc" (1)')
    expect(pids(await press(KEY.escape))).toHaveLength(4)
    expect(pids(await press('/', '6', '2', KEY.enter))).toEqual([6244])
    // Esc while typing cancels the new text and keeps the applied filter
    expect(pids(await press('/', KEY.backspace, KEY.backspace, 'x', KEY.escape))).toEqual([6244])
  })

  it('cycles the sort with s', async () => {
    const {press, frame} = await renderApp(analysis)
    expect(pids(frame())).toEqual([4312, 6244, 1876, 4])
    const byPid = await press('s', 's', 's')
    expect(byPid).toContain('sort:pid')
    expect(pids(byPid)).toEqual([4, 1876, 4312, 6244])
    expect(pids(await press('s'))).toEqual([4312, 1876, 4, 6244])
  })

  it('shows only flagged processes with f', async () => {
    const {press} = await renderApp(analysis)
    const flagged = await press('f')
    expect(pids(flagged)).toEqual([4312, 6244])
    expect(flagged).toContain('flagged only (2)')
    expect(pids(await press('f'))).toHaveLength(4)
  })

  it('selects with ↑/↓, opens the details with Enter and goes back with Esc', async () => {
    const {press} = await renderApp(analysis)
    expect(tableRows(await press(KEY.down))[1]).toMatch(/^› +6244 w3wp\.exe/)
    const details = await press(KEY.up, KEY.enter)
    expect(details).toContain('LeakyAgent.exe  PID 4312')
    expect(details).toMatch(/BOUND +[▁▂▃▄▅▆▇█]+ +9,000 now/)
    expect(details).toContain('\\Device\\Afd')
    expect(tableRows(details)).toHaveLength(0)
    // ↓ scrolls the details down to the evidence lines (file:line)
    const scrolled = await press(...Array.from({length: 5}, () => KEY.down))
    expect(scrolled).not.toContain('LeakyAgent.exe  PID 4312')
    expect(scrolled).toContain('evidence (')
    expect(scrolled).toMatch(/upload\.zip!logs\/netstat_loop\.txt:\d+ +TCP 10\.20\.30\.41:\d+ 0\.0\.0\.0:0 BOUND 4312/)
    const back = await press(KEY.escape)
    expect(tableRows(back)[0]).toMatch(/^› +4312/)
    expect(await press(KEY.tab)).toContain('LeakyAgent.exe  PID 4312')
  })

  it('zooms the time axis in and out with z and Z', async () => {
    const {press, frame} = await renderApp(analysis)
    expect(cursorLine(frame())).toContain('zoom 1/')
    const zoomed = await press('z', 'z')
    expect(cursorLine(zoomed)).toContain('zoom 3/')
    // zoomed in, the axis labels step more finely than the whole case's half hours
    expect(axisLabels(zoomed)).toMatch(/12:\d[05]/)
    expect(cursorLine(await press('Z', 'Z', 'Z'))).toContain('zoom 1/')
  })

  it('shows the keys with ? and closes them with any key', async () => {
    const {press} = await renderApp(analysis)
    const help = await press('?')
    expect(help).toContain('flagged processes only')
    expect(tableRows(help)).toHaveLength(0)
    expect(tableRows(await press('x'))).toHaveLength(4)
  })

  it('quits with q', async () => {
    const {press, stdin} = await renderApp(analysis)
    expect(stdin.listenerCount('readable')).toBeGreaterThan(0)
    await press('q')
    // the exit runs in an effect after the render the key caused
    expect(await waitFor(() => stdin.listenerCount('readable') === 0)).toBe(true)
  })

  it('fits an 80×24 terminal, before and after a resize, with the details open too', async () => {
    const app = await renderApp(analysis, {columns: 80, rows: 24})
    const check = (f: string) => {
      const lines = f.split('\n')
      expect(lines).toHaveLength(23)
      for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(80)
    }
    check(app.frame())
    expect(app.frame()).toContain('LeakyAgent.exe')
    expect(app.frame()).toContain('EXHAUSTED')
    check(await app.press(KEY.enter))
    check(await app.press(KEY.escape, '?'))
  })

  it('keeps control characters from names and messages out of the terminal', async () => {
    const a = makeFixtureAnalysis()
    const evil: Analysis = {
      ...a,
      timeline: {
        ...a.timeline,
        processes: a.timeline.processes.map((p) => (p.pid === 1876 ? {...p, name: 'svc\u001B[2Jhost.exe'} : p)),
        events: a.timeline.events.map((e) => ({...e, message: `bad\u001B]0;title\u0007 ${e.message}`})),
      },
    }
    const {press, frame} = await renderApp(evil, {initialCursor: 268, columns: 200, rows: 30})
    expect(frame()).toContain('svc?[2Jhost.exe')
    expect(frame()).toContain('bad?]0;title?')
    expect(frame()).not.toMatch(/[\u0000-\u0008\u000B-\u001F]/)
    expect(await press('/', '\u001B[2J', KEY.enter)).not.toMatch(/[\u0000-\u0008\u000B-\u001F]/)
  })

  it('draws a single snapshot, and a case without snapshots, at full height', async () => {
    const one = await renderApp(makeFixtureAnalysis({snapshots: 1, gapAfter: null}))
    expect(one.frame().split('\n')).toHaveLength(23)
    expect(cursorLine(one.frame())).toContain('#1/1')
    expect(cursorLine(await one.press('z', KEY.right, 't'))).toContain('#1/1')
    const a = makeFixtureAnalysis({snapshots: 3, gapAfter: null})
    const none: Analysis = {
      ...a,
      timeline: {...a.timeline, times: [], truncated: [], rows: new Int32Array(0), ephemeralInUse: new Int32Array(0), ephemeralAddr: [], processes: [], events: []},
    }
    const empty = await renderApp(none)
    expect(empty.frame()).toContain('no snapshots')
    expect(empty.frame()).toContain('no process rows in this case')
    expect((await empty.press(KEY.enter, KEY.down, 'z', 't')).split('\n')).toHaveLength(23)
  })

  it('puts the details beside the table on a wide terminal, Tab moving the keys between them', async () => {
    const {press} = await renderApp(analysis, {columns: 150, rows: 30})
    const both = await press(KEY.enter)
    expect(lineWith(both, 'PID IMAGE')).toMatch(/FINDING +▸ LeakyAgent\.exe  PID 4312/)
    expect(tableRows(both)[0]).toMatch(/^› +4312 LeakyAgent\.exe .* crit BOUND critical monotonic-growth/)
    // the details have the keys: ↓ scrolls them and keeps the selection
    const scrolled = await press(KEY.down)
    expect(scrolled).not.toContain('PID 4312  seen')
    expect(tableRows(scrolled)[0]).toMatch(/^› +4312/)
    // after Tab the table has them: ↓ selects the next process and the details follow it
    const next = await press(KEY.tab, KEY.down)
    expect(tableRows(next)[1]).toMatch(/^› +6244 w3wp\.exe/)
    expect(next).toContain('w3wp.exe  PID 6244')
  })

  it('renders the same screen with the colour theme (colours only add to the glyphs)', async () => {
    const plain = (await renderApp(analysis)).frame()
    const colored = (await renderApp(analysis, {theme: colorTheme})).frame()
    // FORCE_COLOR=0 in the test environment: ink drops the escapes, so the text must match exactly
    expect(colored).toBe(plain)
  })
})
