import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {describe, expect, it} from 'vitest'

import Analyze from '../../src/commands/analyze.js'
import Report from '../../src/commands/report.js'
import {runFleet} from '../../src/pipeline.js'
import {renderFleetHtml, renderFleetMarkdown} from '../../src/report/fleet.js'
import type {LoopScenario} from '../../src/synth/loop.js'
import {restoreProcessAfterEach} from '../helpers/commands.js'
import {loopText, tempFiles} from '../helpers/run.js'
import {zipBuffer} from '../helpers/zip.js'

const config = await Config.load(import.meta.url)
const start = new Date(Date.UTC(2023, 2, 10, 8, 55, 0))
const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`

// Two loops over the same hours on the same local address: nothing but the host names tells them apart.
const leaky: LoopScenario = {
  seed: 9, snapshots: 30, interval: 60, jitter: 1, start, dateStyle: 'en-US', bound: true, owners: true,
  processes: [
    {pid: 4312, name: 'LeakyAgent.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 900}},
    {pid: 1712, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 20, noise: 6, timeWaitChurn: 3}},
  ],
}
const healthy: LoopScenario = {
  seed: 3, snapshots: 30, interval: 60, jitter: 2, start, dateStyle: 'en-US', owners: true,
  processes: [{pid: 3020, name: 'sqlservr.exe', listen: [1433], behaviour: {kind: 'steady', established: 40, noise: 15, timeWaitChurn: 10}}],
}

const ipconfig = (host: string) =>
  crlf(['', 'Windows IP Configuration', '', `   Host Name . . . . . . . . . . . . : ${host}`, '   Node Type . . . . . . . . . . . . : Hybrid', '', 'Ethernet adapter Ethernet0:', '', '   IPv4 Address. . . . . . . . . . . : 10.0.0.5(Preferred)'])
const systeminfo = (host: string) =>
  crlf(['', `Host Name:                 ${host}`, 'OS Name:                   Microsoft Windows Server 2019 Standard', 'OS Version:                10.0.17763 N/A Build 17763'])

/** A Get-NetTCPConnection Export-Csv through Invoke-Command: `n` connections of PID `pid`, every row naming `host`. */
function psCsv(host: string, pid: number, n: number, state: string): string {
  const rows = Array.from({length: n}, (_, k) => `"10.0.0.5","${50000 + k}","10.0.0.9","443","${state}","${pid}","${host}"`)
  return crlf(['"LocalAddress","LocalPort","RemoteAddress","RemotePort","State","OwningProcess","PSComputerName"', ...rows])
}

const machinesOf = (f: Awaited<ReturnType<typeof runFleet>>) =>
  f.machines.map((m) => [m.fleet.machine, m.fleet.inputs.map((i) => [i.path.replace(/^.*!/, ''), i.how]).sort()])

restoreProcessAfterEach()

describe('machines told apart only by the host names the evidence states', () => {
  it('splits a zip by the ipconfig /all and systeminfo in each collection folder', async () => {
    const [path] = tempFiles({
      'upload.zip': await zipBuffer([
        {name: 'upload/1/netstat.txt', data: loopText(leaky)},
        {name: 'upload/1/ipconfig.txt', data: ipconfig('SRV-WEB01')},
        {name: 'upload/2/netstat.txt', data: loopText(healthy)},
        {name: 'upload/2/systeminfo.txt', data: systeminfo('SRV-SQL02')},
      ]),
    })
    const fleet = await runFleet([path!], {})
    expect(machinesOf(fleet)).toEqual([
      ['SRV-SQL02', [['upload/2/netstat.txt', 'in a folder whose evidence names the host'], ['upload/2/systeminfo.txt', 'host name in the data']]],
      ['SRV-WEB01', [['upload/1/ipconfig.txt', 'host name in the data'], ['upload/1/netstat.txt', 'in a folder whose evidence names the host']]],
    ])
    expect(fleet.machines[1]!.analysis.document.findings[0]).toMatchObject({process: 'LeakyAgent.exe'})
    expect(fleet.machines[0]!.analysis.document.findings.map((f) => f.process)).not.toContain('LeakyAgent.exe')
    for (const out of [renderFleetMarkdown(fleet), renderFleetHtml(fleet)]) {
      expect(out).toContain('SRV-WEB01')
      expect(out).toContain('SRV-SQL02')
      expect(out).toContain('in a folder whose evidence names the host')
    }

    // The same through the commands: analyze --json gives the fleet document, report the fleet table.
    const json = await captureOutput(() => Analyze.run([path!, '--json'], config))
    expect(json.error).toBeUndefined()
    const doc = JSON.parse(json.stdout)
    expect(doc.schema).toBe('portleak/fleet@1')
    expect(doc.machines.map((m: {machine: string}) => m.machine)).toEqual(['SRV-SQL02', 'SRV-WEB01'])
    const file = join(dirname(path!), 'report.md')
    const rep = await captureOutput(() => Report.run([path!, '-o', file], config))
    expect(rep.error).toBeUndefined()
    const md = readFileSync(file, 'utf8')
    expect(md).toContain('Port exhaustion report: 2 machines')
    expect(md).toContain('LeakyAgent.exe')
  })

  it('splits two Get-NetTCPConnection exports by their PSComputerName column', async () => {
    const [path] = tempFiles({
      'upload.zip': await zipBuffer([
        {name: 'conns-a.csv', data: psCsv('SRV-WEB01', 4312, 600, 'Established')},
        {name: 'conns-b.csv', data: psCsv('SRV-SQL02', 3020, 40, 'Established')},
      ]),
    })
    const fleet = await runFleet([path!], {})
    expect(machinesOf(fleet)).toEqual([
      ['SRV-SQL02', [['conns-b.csv', 'host name in the data']]],
      ['SRV-WEB01', [['conns-a.csv', 'host name in the data']]],
    ])
    expect(fleet.machines[1]!.analysis.document.host).toBe('SRV-WEB01')
    const html = join(dirname(path!), 'report.html')
    const rep = await captureOutput(() => Report.run([path!, '-o', html], config))
    expect(rep.error).toBeUndefined()
    expect(readFileSync(html, 'utf8')).toContain('SRV-SQL02')
    // --host keeps the one machine the PSComputerName names.
    const one = await captureOutput(() => Analyze.run([path!, '--json', '--host', 'srv-web01'], config))
    expect(JSON.parse(one.stdout)).toMatchObject({schema: 'portleak/analysis@1', host: 'SRV-WEB01'})
  })
})
