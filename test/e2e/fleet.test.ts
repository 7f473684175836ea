import {mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {fleetDocument, runAnalysis, runFleet} from '../../src/pipeline.js'
import {renderAnalysis} from '../../src/report/analyze-text.js'
import {renderFleetHtml, renderFleetMarkdown, renderFleetText} from '../../src/report/fleet.js'
import {renderHtml} from '../../src/report/html.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {stampLine, type LoopScenario} from '../../src/synth/loop.js'
import {loopText, tempFiles} from '../helpers/run.js'
import {zipBuffer} from '../helpers/zip.js'

const start = Date.UTC(2023, 2, 10, 8, 55, 0)

/** A loop whose LeakyAgent.exe (PID 4312) leaks BOUND sockets, on `localIp`. */
const leaky = (o: Partial<LoopScenario> = {}): LoopScenario => ({
  seed: 9,
  snapshots: 40,
  interval: 60,
  jitter: 1,
  start: new Date(start),
  dateStyle: 'en-US',
  bound: true,
  owners: true,
  processes: [
    {pid: 4312, name: 'LeakyAgent.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 900}},
    {pid: 1712, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 20, noise: 6, timeWaitChurn: 3}},
  ],
  ...o,
})

/** A busy, healthy loop over the same hours, on the same local address by default. */
const healthy = (o: Partial<LoopScenario> = {}): LoopScenario => ({
  seed: 3,
  snapshots: 40,
  interval: 60,
  jitter: 2,
  start: new Date(start),
  dateStyle: 'en-US',
  owners: true,
  processes: [
    {pid: 1712, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 15, noise: 6, timeWaitChurn: 5}},
    {pid: 3020, name: 'sqlservr.exe', listen: [1433], behaviour: {kind: 'steady', established: 40, noise: 15, timeWaitChurn: 10}},
  ],
  ...o,
})

/** Event Viewer "copy details as text" of one Tcpip 4231, at `when`, from `computer`. */
function event4231(when: Date, computer: string): string {
  const p = (n: number) => String(n).padStart(2, '0')
  const h = when.getUTCHours()
  const date = `${when.getUTCMonth() + 1}/${when.getUTCDate()}/${when.getUTCFullYear()} ${h % 12 || 12}:${p(when.getUTCMinutes())}:${p(when.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`
  return [
    'Log Name:      System',
    'Source:        Tcpip',
    `Date:          ${date}`,
    'Event ID:      4231',
    'Task Category: None',
    'Level:         Warning',
    'Keywords:      Classic',
    'User:          N/A',
    `Computer:      ${computer}`,
    'Description:',
    'A request to allocate an ephemeral port number from the global TCP port space has failed due to all such ports being in use.',
    '',
  ].join('\r\n')
}

/** `handle -a -p 4312` every minute from `from`, with growing \Device\Afd handles. */
function handleLoop(from: number, minutes: number): string {
  const out: string[] = []
  for (let m = 0; m < minutes; m++) {
    out.push(stampLine(new Date(from + m * 60_000 + 5_000)), '')
    out.push('------------------------------------------------------------------------------', 'LeakyAgent.exe pid: 4312 CONTOSO\\svc-leaky')
    for (let h = 0; h < 10 + m * 15; h++) out.push(`${(0x100 + h * 4).toString(16).toUpperCase().padStart(5)}: File  (---)   \\Device\\Afd`)
    out.push('')
  }
  return out.join('\r\n')
}

const netsh = (startPort: number, count: number, prefix = '') =>
  [`Protocol tcp Dynamic Port Range`, '---------------------------------', `Start Port      : ${startPort}`, `Number of Ports : ${count}`, '']
    .map((l) => `${prefix}${l}`)
    .join('\r\n')

/** The analysis JSON as the CLI prints it, inputs left out (their list may follow the order given). */
const stable = (doc: object) => JSON.stringify({...doc, inputs: undefined})

describe('machines in one upload', () => {
  const web = loopText(leaky())
  const sql = loopText(healthy())

  it('splits a two-machine folder by folder name: each machine gets its own verdict, the leak is not diluted', async () => {
    const dir = dirname(tempFiles({a: ''})[0]!) // a fresh folder
    const [w, s] = tempFilesIn(dir, {'SRV-WEB01/netstat.txt': web, 'SRV-SQL02/netstat.txt': sql})
    const fleet = await runFleet([w!, s!], {})
    expect(fleet.machines.map((m) => [m.fleet.machine, m.fleet.inputs.map((i) => i.how)])).toEqual([
      ['SRV-SQL02', ['folder name']],
      ['SRV-WEB01', ['folder name']],
    ])
    const [sqlRun, webRun] = fleet.machines
    expect(webRun!.analysis.document.findings[0]).toMatchObject({process: 'LeakyAgent.exe', state: 'BOUND'})
    expect(sqlRun!.analysis.document.findings.filter((f) => f.process === 'LeakyAgent.exe')).toEqual([])
    // Each machine alone: as many snapshots as its own loop, not the two interleaved.
    expect(webRun!.analysis.document.snapshots).toBe(40)
    expect(sqlRun!.analysis.document.snapshots).toBe(40)
    const doc = fleetDocument(fleet)!
    expect(doc.schema).toBe('portleak/fleet@1')
    expect(doc.analyses.map((a) => [a.schema, a.host])).toEqual([
      ['portleak/analysis@1', 'SRV-SQL02'],
      ['portleak/analysis@1', 'SRV-WEB01'],
    ])
    expect(doc.machines[1]).toMatchObject({machine: 'SRV-WEB01', verdict: webRun!.analysis.document.verdict.status, topCulprit: {process: 'LeakyAgent.exe'}})
    expect(doc.machines[1]!.evidenceSpan!.start).toMatch(/^2023-03-10T08:5/)
    // --host keeps one machine: the same analysis as in the fleet; --one-machine reads both as one (the old merge).
    const one = await runAnalysis([w!, s!], {host: 'srv-web01'})
    expect(stable(one.document)).toBe(stable(webRun!.analysis.document))
    const merged = await runAnalysis([w!, s!], {oneMachine: true})
    expect(merged.document.snapshots).toBeGreaterThan(40)
    await expect(runAnalysis([w!, s!], {host: 'SRV-APP09'})).rejects.toThrow(/no input is that machine's \(machines: SRV-SQL02, SRV-WEB01\)/)
  })

  it('splits a two-machine zip by entry folder, and renders the fleet table in text, markdown and HTML', async () => {
    const zip = await zipBuffer([
      {name: 'upload/SRV-WEB01/netstat.txt', data: web},
      {name: 'upload/SRV-WEB01/events.txt', data: event4231(new Date(start + 30 * 60_000), 'SRV-WEB01.contoso.local')},
      {name: 'upload/SRV-SQL02/netstat.txt', data: sql},
    ])
    const [path] = tempFiles({'upload.zip': zip})
    const fleet = await runFleet([path!], {})
    expect(fleet.machines.map((m) => [m.fleet.machine, m.fleet.inputs.map((i) => [i.path.replace(/^.*!/, ''), i.how])])).toEqual([
      ['SRV-SQL02', [['upload/SRV-SQL02/netstat.txt', 'folder name']]],
      [
        // The folder's events name the host: the machine takes the name the data gives.
        'SRV-WEB01.contoso.local',
        [
          ['upload/SRV-WEB01/events.txt', 'host name in the data'],
          ['upload/SRV-WEB01/netstat.txt', 'folder name'],
        ],
      ],
    ])
    expect(fleet.machines[1]!.analysis.document.verdict.status).toBe('exhausted')
    expect(fleet.machines[0]!.analysis.document.events).toEqual([])
    const text = renderFleetText(fleet)
    expect(text).toMatch(/^2 machines/)
    expect(text).toMatch(/SRV-WEB01\.contoso\.local +exhausted .*LeakyAgent\.exe/)
    expect(text).toContain('== SRV-SQL02 ==')
    const md = renderFleetMarkdown(fleet)
    expect(md).toMatch(/^# Port exhaustion report: 2 machines/)
    expect(md).toMatch(/\| SRV-WEB01\.contoso\.local \| exhausted \|/)
    expect(md).toMatch(/^## Port exhaustion report: SRV-WEB01/m)
    const html = renderFleetHtml(fleet)
    expect(html).toContain('<a href="#m2">SRV-WEB01.contoso.local</a>')
    expect(html).toContain('<section id="m2-verdict">')
    expect(html.match(/ id="verdict"/g)).toBeNull()
  })

  it('tells machines apart by file name and by local address when nothing else does', async () => {
    const byName = await runFleet(tempFiles({'web01_netstat.txt': web, 'sql02_netstat.txt': sql}), {})
    expect(byName.machines.map((m) => [m.fleet.machine, m.fleet.inputs[0]!.how])).toEqual([
      ['sql02', 'file name'],
      ['web01', 'file name'],
    ])
    const byAddress = await runFleet(tempFiles({'netstat-a.txt': web, 'netstat-b.txt': loopText(healthy({localIp: '10.0.0.9'}))}), {})
    expect(byAddress.machines.map((m) => [m.fleet.machine, m.fleet.inputs[0]!.how])).toEqual([
      ['10.0.0.5', 'local addresses'],
      ['10.0.0.9', 'local addresses'],
    ])
  })
})

describe('two loops of one machine', () => {
  it('keeps two loops that run side by side as two timelines, and folds the same loop read twice', async () => {
    const two = await runFleet(tempFiles({'netstat-a.txt': loopText(leaky()), 'netstat-b.txt': loopText(healthy())}), {})
    expect(two.machines.map((m) => [m.fleet.machine, m.fleet.timeline, m.analysis.document.snapshots])).toEqual([
      [null, 1, 40],
      [null, 2, 40],
    ])
    expect(two.machines[0]!.fleet.notes[0]).toMatch(/side by side/)
    // The same collection twice (overlapping copies, not byte-identical): one timeline, its snapshots folded.
    const lines = loopText(leaky()).split('\r\n')
    const cut = lines.findIndex((l, i) => i > lines.length / 2 && /^\w{3} \d\d\/\d\d\/\d{4}/.test(l))
    const copies = await runFleet(tempFiles({'netstat-1.txt': lines.join('\r\n'), 'netstat-2.txt': lines.slice(cut).join('\r\n')}), {})
    expect(copies.machines.map((m) => m.fleet.timeline)).toEqual([null])
    // Snapshots of both copies at the same time are one (a few right after the copy starts differ in attribution).
    expect(copies.machines[0]!.analysis.document.snapshots).toBeLessThan(50)
  })
})

describe('time alignment', () => {
  it('reports events three days after the loop with their distance, not on its last snapshot, and keeps a 2026 handle listing apart', async () => {
    const loop = loopText(leaky({owners: false}))
    const late = event4231(new Date(start + 3 * 86_400_000), 'SRV-WEB01')
    const during = event4231(new Date(start + 20 * 60_000), 'SRV-WEB01')
    const handles2026 = handleLoop(Date.UTC(2026, 0, 14, 9, 55), 5)
    const {document: doc, timeline} = await runAnalysis(tempFiles({'netstat.txt': loop, 'late.txt': late, 'during.txt': during, 'handles.txt': handles2026}), {})
    const lateEvent = doc.events.find((e) => e.path.endsWith('late.txt'))!
    expect(lateEvent.outsideSeconds).toBeGreaterThan(2.9 * 86_400)
    expect(doc.events.find((e) => e.path.endsWith('during.txt'))!.outsideSeconds).toBeUndefined()
    expect(timeline.events.find((e) => e.path.endsWith('late.txt'))!.snapshot).toBe(-1)
    expect(timeline.events.find((e) => e.path.endsWith('during.txt'))!.snapshot).toBeGreaterThan(0)
    const spans = new Map(doc.spans!.map((s) => [s.path.replace(/^.*[\\/]/, ''), s.outsideSeconds]))
    expect(spans.get('netstat.txt')).toBe(0)
    expect(spans.get('during.txt')).toBe(0)
    expect(spans.get('late.txt')).toBeGreaterThan(0)
    expect(spans.get('handles.txt')).toBeGreaterThan(365 * 86_400)
    // netstat -ano names no process: a PID from 2026 does not name the 2023 loop's PID 4312, nor lend it handles.
    const p4312 = doc.processes.find((p) => p.pid === 4312)!
    expect(p4312.name).toBeNull()
    expect(p4312.handles).toBeNull()
    expect(timeline.handles.find((h) => h.pid === 4312)!.outsideSeconds).toBeGreaterThan(0)
    // The reports say how far: the events table and the one-screen answer.
    expect(renderMarkdown({document: doc, timeline})).toMatch(/\(2 d 2\d h after the snapshots\)/)
    expect(renderAnalysis(doc)).toMatch(/kept apart \(not joined by PID\): .*late\.txt \(2 d 2\d h after\)/)
  })
})

describe('a cut-off last snapshot', () => {
  const full = loopText(leaky())
  const stamps = [...full.matchAll(/^\w{3} \d\d\/\d\d\/\d{4} [^\r\n]*\r\n/gm)]
  const lastStart = stamps.at(-1)!.index!
  const withoutLast = full.slice(0, lastStart)

  it.each([
    ['mid-row, plain', 0.3, false, false],
    ['a third in, at a line end, plain', 0.33, true, false],
    ['mid-row, gzip', 0.5, false, true],
    ['a quarter in, at a line end, gzip', 0.25, true, true],
  ])('is flagged partial and left out of trends and "now" values: cut %s', async (_label, share, atLineEnd, gz) => {
    let end = lastStart + Math.floor((full.length - lastStart) * share)
    if (atLineEnd) end = full.indexOf('\r\n', end) + 2
    else if (full.slice(end - 2, end) === '\r\n' || full[end - 1] === '\r') end += 5
    const text = full.slice(0, end)
    const name = gz ? 'netstat.txt.gz' : 'netstat.txt'
    const cut = await runAnalysis(tempFiles({[name]: gz ? gzipSync(text) : text}), {})
    const reference = await runAnalysis(tempFiles({'netstat.txt': withoutLast}), {})
    expect(cut.document.inputs[0]!.truncatedSnapshots).toBe(1)
    expect(cut.timeline.truncated.at(-1)).toBe(true)
    expect(renderAnalysis(cut.document)).toContain('1 snapshot(s) cut off at the end of an input (partial)')
    const f = cut.document.findings.find((x) => x.process === 'LeakyAgent.exe')!
    const r = reference.document.findings.find((x) => x.process === 'LeakyAgent.exe')!
    expect([f.now, f.slopePerHour]).toEqual([r.now, r.slopePerHour])
    const p = cut.document.processes.find((x) => x.pid === 4312)!
    expect(p.now).toEqual(reference.document.processes.find((x) => x.pid === 4312)!.now)
  })
})

/** Writes files under `dir` (with subfolders) and returns their paths. */
function tempFilesIn(dir: string, files: Record<string, string | Buffer>): string[] {
  return Object.entries(files).map(([name, content]) => {
    const path = join(dir, name)
    mkdirSync(dirname(path), {recursive: true})
    writeFileSync(path, content)
    return path
  })
}

/** Every ordering of `items`. */
const permutations = <T>(items: readonly T[]): T[][] =>
  items.length <= 1 ? [items.slice()] : items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]))

describe('order independence', () => {
  it('gives byte-identical analysis and reports for every permutation of a four-input upload', async () => {
    const files = tempFiles({
      'netstat.txt': loopText(leaky({owners: false})),
      'handles.txt': handleLoop(start, 40),
      'events.txt': event4231(new Date(start + 35 * 60_000), 'APP02'),
      'netsh.txt': netsh(50000, 15536),
    })
    const outputs = new Set<string>()
    const reports = new Set<string>()
    for (const order of permutations(files)) {
      const fleet = await runFleet(order, {})
      expect(fleet.machines).toHaveLength(1)
      outputs.add(JSON.stringify(fleet.machines[0]!.analysis.document))
      reports.add(renderHtml(fleet.machines[0]!.analysis) + renderMarkdown(fleet.machines[0]!.analysis))
    }
    expect(outputs.size).toBe(1)
    expect(reports.size).toBe(1)
    const doc = JSON.parse([...outputs][0]!)
    expect(doc.dynamicRange.tcp).toMatchObject({start: 50000, count: 15536, source: 'netsh'})
    expect(doc.host).toBe('APP02')
  })

  it('counts a loop read before the zip that holds its netsh range against that range (a first pass reads the range)', async () => {
    // The loop's ports are all above 49152: a range from 40000 takes them in, and is 25,536 ports.
    const loop = loopText(leaky())
    const zip = await zipBuffer([{name: 'netsh.txt', data: netsh(40000, 25536)}, {name: 'padding.txt', data: 'not evidence\r\n'.repeat(20_000), compress: false}])
    const [netstat, upload] = tempFiles({'netstat.txt': loop, 'upload.zip': zip})
    // Both are over 64 KiB, so they are read in path order: the loop before the zip that holds its range.
    expect(zip.length).toBeGreaterThan(65_536)
    const a = await runAnalysis([netstat!, upload!], {})
    const b = await runAnalysis([upload!, netstat!], {})
    const flag = await runAnalysis([netstat!], {dynamicRange: '40000-65535'})
    expect(a.document.dynamicRange.tcp).toMatchObject({start: 40000, count: 25536, source: 'netsh'})
    expect(a.document.verdict.peakUtilization).toBeGreaterThan(0)
    expect(a.document.verdict.peakUtilization).toBe(flag.document.verdict.peakUtilization)
    expect(stable(a.document)).toBe(stable(b.document))
  })

  it('gives the same analysis whatever order a zip stores its entries in', async () => {
    const entries = [
      {name: 'netstat.txt', data: loopText(leaky({owners: false}))},
      {name: 'handles.txt', data: handleLoop(start, 40)},
      {name: 'events.txt', data: event4231(new Date(start + 35 * 60_000), 'APP02')},
      {name: 'netsh.txt', data: netsh(50000, 15536)},
    ]
    const docs = new Set<string>()
    const dir = dirname(tempFiles({a: ''})[0]!)
    for (const order of permutations(entries).filter((_, i) => i % 5 === 0)) {
      // The same path each time, so that paths in the evidence are the same too.
      const [path] = tempFilesIn(dir, {'upload.zip': await zipBuffer(order)})
      docs.add(JSON.stringify((await runAnalysis([path!], {})).document))
    }
    expect(docs.size).toBe(1)
  })
})

describe('netsh ranges in the analysis', () => {
  it('uses a prefixed range starting at 1024', async () => {
    const {document: doc} = await runAnalysis(tempFiles({'netstat.txt': loopText(leaky()), 'netsh.txt': netsh(1024, 64512, '    vhd: ')}), {})
    expect(doc.dynamicRange.tcp).toMatchObject({start: 1024, count: 64512, source: 'netsh'})
    expect(doc.inputs.find((i) => i.path.endsWith('netsh.txt'))!.notes.rangeOutsideSetLimits).toMatch(/outside what/)
  })

  it.each([
    ['English', 'Protocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port\r\n----------    --------\r\n      5357        5357\r\n     50000       57999     *\r\n\r\n* - Administered port exclusions.\r\n'],
    ['German', 'Portausschlussbereiche für das tcp-Protokoll\r\n\r\nStartport    Endport\r\n----------    --------\r\n      5357        5357\r\n     50000       57999     *\r\n\r\n* - Verwaltete Portausschlüsse.\r\n'],
  ])('subtracts excluded blocks inside the range from the usable count (%s)', async (_language, excluded) => {
    const loop = loopText(leaky())
    const without = await runAnalysis(tempFiles({'netstat.txt': loop, 'netsh.txt': netsh(49152, 16384)}), {})
    const withExcluded = await runAnalysis(tempFiles({'netstat.txt': loop, 'netsh.txt': netsh(49152, 16384), 'excluded.txt': excluded}), {})
    const doc = withExcluded.document
    // 5357 lies below the range: only 50000–57999 (8000 ports) is subtracted.
    expect(doc.dynamicRange.tcp).toMatchObject({start: 49152, count: 16384, usable: 16384 - 8000})
    expect(doc.dynamicRange.tcp.excluded!.map((e) => [e.start, e.count, e.administered])).toEqual([[50000, 8000, true]])
    expect(doc.verdict.peakUtilization).toBeCloseTo((without.document.verdict.peakUtilization * 16384) / 8384, 2)
    expect(renderMarkdown(withExcluded)).toMatch(/excluded 50000–57999 \(8,000 ports, administered\)/)
    expect(renderHtml(withExcluded)).toContain('8,384 of 16,384 ports usable')
  })
})
