import {describe, expect, it} from 'vitest'

import type {Analysis} from '../../src/model/types.js'
import {renderHtml} from '../../src/report/html.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {redactAnalysis} from '../../src/report/redact.js'
import {FIXTURE, makeFixtureAnalysis} from '../fixtures/analysis-fixture.js'

/** Every string reachable from the analysis (typed arrays skipped). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value)
  else if (Array.isArray(value)) for (const v of value) strings(v, out)
  else if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) for (const v of Object.values(value)) strings(v, out)
  return out
}

const SECRETS = [
  FIXTURE.host, FIXTURE.fqdn, 'contoso', FIXTURE.localAddr, FIXTURE.localAddr6, FIXTURE.sqlServer, FIXTURE.user,
  FIXTURE.homeUser, '1.1.1.1',
]

/** An analysis whose next steps carry extra tricky strings. */
function withSteps(steps: string[]): Analysis {
  const a = makeFixtureAnalysis()
  a.document.nextSteps = steps
  return a
}

describe('redactAnalysis', () => {
  const original = makeFixtureAnalysis()
  const redacted = redactAnalysis(original)
  const all = strings(redacted).join('\n')

  it('leaves no IP address, host, domain or user name of the input', () => {
    for (const secret of SECRETS) expect(all.toLowerCase()).not.toContain(secret.toLowerCase())
  })

  it('keeps process names, in the series and inside sentences', () => {
    expect(redacted.timeline.processes.map((p) => p.name)).toEqual(original.timeline.processes.map((p) => p.name))
    expect(redacted.document.findings.map((f) => f.process)).toEqual(original.document.findings.map((f) => f.process))
    expect(redacted.document.findings[0]!.summary).toContain('LeakyAgent.exe (PID 4312)')
    expect(redacted.document.nextSteps[0]).toContain('Restart LeakyAgent.exe')
  })

  it('uses one pseudonym per value across the document and the timeline', () => {
    const ip = redacted.timeline.ephemeralAddr[0]!
    expect(ip).toMatch(/^ip-\d+$/)
    expect(redacted.document.findings[0]!.evidence[0]!.text).toContain(`${ip}:49700`)
    expect(redacted.document.verdict.evidence[0]).toContain(` on ${ip} at `)
    expect(redacted.document.host).toBe('host-1')
    const fqdn = redacted.document.inputs[3]!.notes.computer
    expect(fqdn).toMatch(/^host-1\.domain-\d+$/)
    const user = /^C:\\Users\\(user-\d+)>netstat -anobq$/.exec(redacted.document.inputs[0]!.skippedExamples[0]!.text)![1]
    expect(redacted.document.inputs[2]!.path).toMatch(/^file-\d+\.txt$/)
    expect(redacted.timeline.handles[0]!.points[0]!.path).toBe(redacted.document.inputs[2]!.path)
    const domainUser = redacted.document.inputs[0]!.notes.user
    expect(domainUser).toMatch(/^domain-\d+\\user-\d+$/)
    expect(redacted.document.findings[2]!.evidence[0]!.text).toBe(`LeakyAgent.exe pid: 4312 ${domainUser}`)
    expect(redacted.document.inputs[5]!.skippedExamples[0]!.text).toMatch(new RegExp(`^Customer contact: ${user}@domain-\\d+, server ${fqdn!.replace('.', '\\.')}$`))
  })

  it('redacts IPv6 addresses and remote endpoints, keeping ports and unspecified addresses', () => {
    const row = redacted.document.findings[0]!.evidence[2]!.text!
    expect(row).toMatch(/^ {2}TCP {4}\[ip-\d+\]:50002 {2}\[::\]:0 +BOUND +4312$/)
    expect(redacted.document.findings[1]!.remote).toMatch(/^ip-\d+:1433$/)
    expect(redacted.document.findings[0]!.evidence[0]!.text).toContain('0.0.0.0:0')
  })

  it('gives the same pseudonyms for the same input and leaves the input untouched', () => {
    expect(redactAnalysis(makeFixtureAnalysis())).toEqual(redacted)
    expect(original.document.host).toBe(FIXTURE.host)
    expect(original.timeline.ephemeralAddr[0]).toBe(FIXTURE.localAddr)
  })

  it('keeps file names, versions, well-known principals and device paths', () => {
    const steps = redactAnalysis(withSteps([
      'See logs\\netstat.txt and C:\\Windows\\System32\\drivers\\tcpip.sys',
      'Runs as NT AUTHORITY\\SYSTEM under \\Device\\Afd\\Endpoint on build 10.0.19041.1, Volatility 2.7.0',
      'Mail jane.doe@fabrikam.org about fe80::1c2d:3e4f:5a6b:7c8d%12 and telemetry.vendor.example.net',
      '12:14:00 and ::1 and 127.0.0.1 stay',
    ])).document.nextSteps
    expect(steps[0]).toBe('See logs\\netstat.txt and C:\\Windows\\System32\\drivers\\tcpip.sys')
    expect(steps[1]).toBe('Runs as NT AUTHORITY\\SYSTEM under \\Device\\Afd\\Endpoint on build 10.0.19041.1, Volatility 2.7.0')
    expect(steps[2]).toMatch(/^Mail user-\d+@domain-\d+ about ip-\d+%zone and host-\d+$/)
    expect(steps[3]).toBe('12:14:00 and ::1 and 127.0.0.1 stay')
  })

  it('redacts hostile host names as a whole', () => {
    const hostile = redactAnalysis(makeFixtureAnalysis({hostile: true}))
    expect(hostile.document.host).toBe('host-1')
    expect(hostile.document.inputs[0]!.notes.host).toBe('host-1')
    expect(strings(hostile).join('\n')).not.toContain('WEB-PROD-07')
    expect(hostile.timeline.processes.map((p) => p.name)).toContain(FIXTURE.hostile.leaky)
  })

  it('leaves no identifier in the rendered reports', () => {
    const md = renderMarkdown(redacted, {redacted: true})
    const html = renderHtml(redacted, {redacted: true})
    for (const secret of SECRETS) {
      expect(md.toLowerCase()).not.toContain(secret.toLowerCase())
      expect(html.toLowerCase()).not.toContain(secret.toLowerCase())
    }
    expect(md).toContain('pseudonyms (--redact)')
    expect(html).toContain('pseudonyms (--redact)')
  })
})
