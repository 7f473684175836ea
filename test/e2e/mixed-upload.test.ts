import yazl from 'yazl'
import {describe, expect, it} from 'vitest'

import {runAnalysis} from '../../src/pipeline.js'
import {stampLine} from '../../src/synth/loop.js'
import {loopText, tempFiles} from '../helpers/run.js'

const start = Date.UTC(2023, 2, 10, 8, 55, 0)

function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), name)
  zip.end()
  const parts: Buffer[] = []
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (d: Buffer) => parts.push(d))
    zip.outputStream.on('end', () => resolve(Buffer.concat(parts)))
    zip.outputStream.on('error', reject)
  })
}

/** `handle -a -p 4312` every minute (a loop with `%date% %time%` stamps), its \Device\Afd handles growing. */
function handleLoop(minutes: number): string {
  const out: string[] = []
  for (let m = 0; m < minutes; m++) {
    out.push(stampLine(new Date(start + m * 60_000 + 5_000)), '', 'Nthandle v5.0 - Handle viewer', 'Copyright (C) 1997-2022 Mark Russinovich', 'Sysinternals - www.sysinternals.com', '')
    out.push('------------------------------------------------------------------------------', 'LeakyAgent.exe pid: 4312 CONTOSO\\svc-leaky')
    out.push('    4: Event         ', '   20: File  (RW-)   C:\\Program Files\\LeakyAgent')
    for (let h = 0; h < 10 + m * 15; h++) out.push(`${(0x100 + h * 4).toString(16).toUpperCase().padStart(5)}: File  (---)   \\Device\\Afd`)
    out.push('')
  }
  return out.join('\r\n')
}

const events = [
  'Event[0]:',
  '  Log Name: System',
  '  Source: Tcpip',
  '  Date: 2023-03-10T09:33:12.340',
  '  Event ID: 4231',
  '  Task: N/A',
  '  Level: Warning',
  '  Opcode: Info',
  '  Keyword: Classic',
  '  User: N/A',
  '  User Name: N/A',
  '  Computer: APP02',
  '  Description: ',
  'A request to allocate an ephemeral port number from the global TCP port space has failed due to all such ports being in use.',
  '',
].join('\r\n')

const netsh = '\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n'

describe('a mixed upload', () => {
  it('merges netstat, handle.exe, events and netsh into one case that names the culprit with evidence from each', async () => {
    const netstat = loopText({
      seed: 9,
      snapshots: 40,
      interval: 60,
      jitter: 1,
      start: new Date(start),
      dateStyle: 'en-US',
      bound: true,
      processes: [
        {pid: 4312, name: 'LeakyAgent.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 900}},
        {pid: 1712, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 20, noise: 6, timeWaitChurn: 3}},
      ],
    })
    const zip = await zipOf({'logs/netstat.txt': netstat, 'logs/handles.txt': handleLoop(40), 'events/tcpip.txt': events, 'netsh.txt': netsh})
    const [path] = tempFiles({'upload.zip': zip})
    const {document: doc} = await runAnalysis([path!], {})

    expect(doc.inputs.map((i) => [i.path.replace(/^.*upload\.zip/, 'upload.zip'), i.format])).toEqual([
      ['upload.zip!events/tcpip.txt', 'tcpip-events'],
      ['upload.zip!logs/handles.txt', 'handle-exe'],
      ['upload.zip!logs/netstat.txt', 'netstat'],
      ['upload.zip!netsh.txt', 'netsh-dynamicport'],
    ])
    expect(doc.verdict.status).toBe('exhausted')
    expect(doc.dynamicRange.tcp).toMatchObject({start: 49152, count: 16384, source: 'netsh'})
    const top = doc.findings[0]!
    // netstat -ano has no names: the name comes from handle.exe.
    expect(top).toMatchObject({kind: 'monotonic-growth', pid: 4312, process: 'LeakyAgent.exe', state: 'BOUND'})
    const sources = new Set(top.evidence.map((e) => e.path.replace(/^.*!/, '')))
    expect([...sources].sort()).toEqual(['events/tcpip.txt', 'logs/handles.txt', 'logs/netstat.txt'])
    expect(doc.findings.some((f) => f.kind === 'afd-growth' && f.pid === 4312)).toBe(true)
    expect(doc.events.map((e) => e.id)).toEqual([4231])
  })
})
