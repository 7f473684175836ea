import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {afterEach, describe, expect, it} from 'vitest'

import Export from '../../src/commands/export.js'
import Report from '../../src/commands/report.js'
import {runAnalysis} from '../../src/pipeline.js'
import {renderHtml} from '../../src/report/html.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {redactAnalysis} from '../../src/report/redact.js'
import {tempTree} from './helpers.js'

const config = await Config.load(import.meta.url)

/** Identities planted in every place an upload carries them; none may leave a redacted output. */
const IDENTITIES = [
  'ACMEWEB07', 'acme.com', 'ACME-CORP', 'ACMECORP', 'SQLPROD02', 'fileserver01', 'jdoe', 'DC01', 'buildsvc',
  '10.44.3.17', '10.11.12.13', '10.11.12.14', '10.99.88.77', '10.44.3.200',
]

const HEADER = '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n'

/**
 * A `netstat -ao` loop (no -n: addresses are names) of a leaking w3wp.exe, after the lines a collection
 * script writes first: ipconfig /all and `set`.
 */
function namedLoop(): string {
  const preamble = [
    'Windows IP Configuration',
    '   Host Name . . . . . . . . . . . . : ACMEWEB07',
    '   Primary Dns Suffix  . . . . . . . : corp.acme.com',
    'HOSTNAME=ACMEWEB07',
    'USERNAME=jdoe',
    'USERDOMAIN=ACMECORP',
    'LOGONSERVER=\\\\DC01',
    '',
  ].join('\r\n')
  const snaps = Array.from({length: 12}, (_, i) => {
    const rows = Array.from({length: 20 + i * 150}, (_, k) =>
      `  TCP    ACMEWEB07:${50000 + k}`.padEnd(32) + 'SQLPROD02:1433'.padEnd(23) + 'CLOSE_WAIT'.padEnd(16) + '4312\r\n',
    )
    const stamp = `2023-03-10 08:${String(i * 5).padStart(2, '0')}:00`
    return `${stamp} \r\n${HEADER}  TCP    10.44.3.200:445        0.0.0.0:0              LISTENING       4\r\n${rows.join('')}`
  })
  return preamble + snaps.join('')
}

const events = [
  'Event[0]:',
  '  Log Name: System',
  '  Source: Tcpip',
  '  Date: 2023-03-10T08:56:12.340',
  '  Event ID: 4231',
  '  Level: Warning',
  '  User: ACMECORP\\buildsvc',
  '  Computer: ACMEWEB07.corp.acme.com',
  '  Description: ',
  'A request to allocate an ephemeral port number from the global TCP port space has failed due to all such ports being in use. Connecting to SQLPROD02 and \\\\fileserver01\\share from server_10.11.12.13 as jdoe@acme.com.',
  '',
].join('\r\n')

/** An upload folder whose names, contents and unreadable parts all carry identities. */
function plantedUpload(): string {
  return tempTree({
    'ACME-CORP/ACMEWEB07_netstat_10.44.3.17.txt': namedLoop(),
    'ACME-CORP/server_10.11.12.13/events-SQLPROD02.txt': events,
    'ACME-CORP/10.11.12.14_primary.txt': 'ping 10.99.88.77 from ACMEWEB07 USERNAME=jdoe\r\nReply from 10.99.88.77\r\n',
  })
}

function leaks(text: string): string[] {
  const lower = text.toLowerCase()
  return IDENTITIES.filter((id) => lower.includes(id.toLowerCase()))
}

afterEach(() => {
  for (const s of ['SIGINT', 'SIGTERM'] as const) for (const l of process.listeners(s)) process.off(s, l)
  process.exitCode = undefined
})

describe('--redact leaves no identity in any output', () => {
  it('the planted upload shows every identity without --redact (the test can fail)', async () => {
    const analysis = await runAnalysis([plantedUpload()], {})
    const all = JSON.stringify(analysis.document) + JSON.stringify(analysis.timeline.ephemeralAddr)
    // (The event's User field, the `set` lines past the first and the LISTENING row do not reach any output.)
    const shown = ['ACME-CORP', 'ACMEWEB07', 'SQLPROD02', 'acme.com', 'fileserver01', 'jdoe', '10.44.3.17', '10.11.12.13', '10.11.12.14', '10.99.88.77']
    expect(leaks(all).sort()).toEqual(shown.sort())
    expect(analysis.document.verdict.status).not.toBe('healthy')
  })

  it('report (markdown and HTML) and export (CSV and JSON Lines) carry none of them', async () => {
    const upload = plantedUpload()
    const out = tempTree({})
    const outputs: string[] = []
    for (const argv of [
      [upload, '-o', join(out, 'r.md'), '--redact'],
      [upload, '-o', join(out, 'r.html'), '--redact'],
      [upload, '-o', '-', '--as', 'md', '--redact'],
    ]) {
      const r = await captureOutput(() => Report.run(argv, config))
      expect(r.error).toBeUndefined()
      outputs.push(r.stdout, r.stderr.replaceAll(out, '<out>'))
    }
    for (const to of ['csv', 'jsonl']) {
      const r = await captureOutput(() => Export.run([upload, '--to', to, '-o', join(out, to), '--redact'], config))
      expect(r.error).toBeUndefined()
      outputs.push(r.stderr.replaceAll(out, '<out>'))
      for (const f of readdirSync(join(out, to))) outputs.push(readFileSync(join(out, to, f), 'utf8'))
    }
    outputs.push(readFileSync(join(out, 'r.md'), 'utf8'), readFileSync(join(out, 'r.html'), 'utf8'))
    for (const [i, text] of outputs.entries()) expect(leaks(text), `output ${i}`).toEqual([])
    const md = readFileSync(join(out, 'r.md'), 'utf8')
    // Says what was redacted; file types stay visible.
    expect(md).toContain('input file paths')
    expect(md).toMatch(/file-\d+\.txt/)
  })

  it('corpus/bad/netstat-names-not-addresses.txt: a redacted report names no host, user or domain', async () => {
    const file = fileURLToPath(new URL('../../corpus/bad/netstat-names-not-addresses.txt', import.meta.url))
    const analysis = await runAnalysis([file], {})
    expect(leaks(JSON.stringify(analysis.document))).toEqual(expect.arrayContaining(['ACMEWEB07', 'acme.com']))
    const redacted = redactAnalysis(analysis)
    for (const text of [renderMarkdown(redacted, {redacted: true}), renderHtml(redacted, {redacted: true}), JSON.stringify(redacted.document)]) {
      expect(leaks(text)).toEqual([])
    }
  })

  it('redacts learned names next to _ and -, UNC servers and env/ipconfig fields in any string', () => {
    const a = {
      document: {
        schema: 'portleak/analysis@1', host: null, inputs: [], snapshots: 0, timeRange: null,
        dynamicRange: {tcp: {start: 49152, count: 16384, source: 'default'}, udp: {start: 49152, count: 16384, source: 'default'}},
        verdict: {status: 'healthy', peakUtilization: 0, peakAt: null, evidence: ['in use on ACMEWEB07 at 08:00']},
        processes: [], findings: [], attribution: {timeWait: {total: 0, owner: 0, lineage: 0, remoteAffinity: 0, unattributed: 0}},
        sampling: {timed: false, medianIntervalSeconds: null, minIntervalSeconds: null, maxIntervalSeconds: null, gaps: [], backwardSteps: 0},
        events: [],
        nextSteps: [
          'Host Name . . . . : ACMEWEB07',
          'see ACMEWEB07_netstat_10.44.3.17.txt and acmeweb07-old, server_10.11.12.13, 10.11.12.14_primary',
          'copy to \\\\fileserver01\\share',
          'HOSTNAME=acmeweb07 USERNAME=jdoe USERDOMAIN=ACMECORP',
          'jdoe_capture and ACMECORP-admin',
          'a future field: SQLPROD02',
        ],
      },
      timeline: {times: [], truncated: [], rows: new Int32Array(0), ephemeralInUse: new Int32Array(0), ephemeralAddr: [], totalsByState: {}, processes: [], handles: [], events: []},
    }
    const r = redactAnalysis(a as unknown as Parameters<typeof redactAnalysis>[0])
    const text = JSON.stringify(r)
    expect(leaks(text)).toEqual([])
    expect(r.document.nextSteps[1]).toMatch(/^see host-\d+_netstat_ip-\d+\.txt and host-\d+-old, server_ip-\d+, ip-\d+_primary$/)
    expect(r.document.nextSteps[2]).toMatch(/^copy to \\\\host-\d+\\share$/)
  })
})
