import {createHash} from 'node:crypto'
import {Readable} from 'node:stream'
import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {runAnalysis} from '../../src/pipeline.js'
import {renderAnalysis} from '../../src/report/analyze-text.js'
import {renderHtml} from '../../src/report/html.js'
import {renderMarkdown} from '../../src/report/markdown.js'
import {keepLandmarks, landmarkBefore} from '../../src/input/landmarks.js'
import {QUOTES_PER_FINDING, readLines, type Wanted} from '../../src/report/quote.js'
import type {Analysis} from '../../src/model/types.js'
import {SCENARIOS} from '../helpers/scenarios.js'
import {loopText, tempFiles} from '../helpers/run.js'
import {zipBuffer} from '../helpers/zip.js'

const ROW = /^\s*(TCP|UDP)\s+\S+:\d+\s/
const leak = loopText(SCENARIOS.boundLeak)

/** Every quoted line equals the line at its number in `text` (1-based, CR dropped). */
function expectQuotesMatch(a: Analysis, text: string): number {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''))
  let quoted = 0
  for (const f of a.document.findings) {
    expect(f.evidence.slice(QUOTES_PER_FINDING).every((e) => e.quote === undefined)).toBe(true)
    for (const e of f.evidence.filter((x) => x.quote !== undefined)) {
      expect(e.quote).toBe(lines[e.line - 1])
      quoted++
    }
  }
  return quoted
}

describe('quoted evidence', () => {
  it('quotes the cited rows of a plain file, each the line at its number', async () => {
    const [file] = tempFiles({'netstat.txt': leak})
    const a = await runAnalysis([file!], {})
    const top = a.document.findings[0]!
    expect(top.evidence[0]!.quote).toMatch(ROW)
    expect(top.evidence[0]!.quote).toContain('BOUND')
    expect(expectQuotesMatch(a, leak)).toBeGreaterThanOrEqual(3)
  })

  it('reads UTF-16LE with a BOM, a .gz and a zip entry again and quotes the same rows', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(leak.replace(/\n/g, '\r\n'), 'utf16le')])
    const zip = await zipBuffer([{name: 'logs/netstat.txt', data: leak}, {name: 'readme.txt', data: 'nothing here\n'}])
    const [plain, u16, gz, zipped] = tempFiles({'a.txt': leak, 'b.txt': utf16, 'c.txt.gz': gzipSync(leak), 'upload.zip': zip})
    const quotes = async (path: string) => (await runAnalysis([path], {})).document.findings[0]!.evidence.map((e) => e.quote)
    const expected = await quotes(plain!)
    expect(expected.filter(Boolean).length).toBeGreaterThanOrEqual(3)
    for (const other of [u16!, gz!, zipped!]) expect(await quotes(other)).toEqual(expected)
    const inZip = (await runAnalysis([zipped!], {})).document.findings[0]!.evidence[0]!
    expect(inZip.path).toMatch(/upload\.zip!logs\/netstat\.txt$/)
  })

  it('does not quote standard input, which cannot be read twice, and says nothing false', async () => {
    const a = await runAnalysis(['-'], {stdin: () => Readable.from([Buffer.from(leak)])})
    expect(a.document.findings.length).toBeGreaterThan(0)
    expect(a.document.findings.flatMap((f) => f.evidence).every((e) => e.quote === undefined)).toBe(true)
  })

  it('cites rows, never a stamp line, for a sawtooth whose process is missing from the middle snapshots', async () => {
    const start = new Date(Date.UTC(2024, 0, 15, 22, 0, 0))
    const text = loopText({
      interval: 60, jitter: 4, start, dateStyle: 'en-US', owners: true, bound: true, seed: 13, snapshots: 90,
      processes: [{pid: 7000, name: 'Connector.exe', behaviour: {kind: 'sawtooth', state: 'BOUND', perHour: 1200, restartEvery: 30}}],
    })
    // The middle of the window (snapshot 45 of 90, where the middle evidence row is taken) loses the process's rows.
    const snaps = text.split(/(?=^\w{3} \d\d\/\d\d\/\d{4} )/m)
    expect(snaps).toHaveLength(90)
    for (const gone of [[44, 45], [43, 44, 45, 46]]) {
      const cut = snaps.map((s, i) => (gone.includes(i) ? s.replace(/^[^\n]*BOUND[^\n]*\n( \[Connector\.exe\][^\n]*\n)?/gm, '') : s)).join('')
      const [file] = tempFiles({'netstat.txt': cut})
      const a = await runAnalysis([file!], {})
      const saw = a.document.findings.find((f) => f.kind === 'sawtooth-growth')
      expect(saw, `gone ${gone}`).toBeDefined()
      expect(saw!.evidence).toHaveLength(3)
      for (const e of saw!.evidence) expect(e.quote, `gone ${gone}, line ${e.line}`).toMatch(ROW)
      expectQuotesMatch(a, cut)
    }
  })

  it('shows quoted rows inert in the analyze text, markdown and HTML', async () => {
    // A row whose process name carries an escape sequence and a bidi override
    const hostile = leak.replace(/\[LeakyAgent\.exe\]/g, '[Leaky\u001b[31m\u202eAgent.exe]')
    const [file] = tempFiles({'netstat.txt': hostile})
    const a = await runAnalysis([file!], {})
    const e = a.document.findings[0]!.evidence[0]!
    e.quote = `${e.quote} \u001b]0;owned\u0007 \u202e \u009b2J`
    const outputs = [renderAnalysis(a.document), renderMarkdown(a), renderHtml(a)]
    for (const out of outputs) {
      expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/)
      expect(out).toContain('\\x1b]0;owned\\x07')
    }
    expect(outputs[0]).toContain(`    line ${e.line} > ${e.quote.slice(0, 20)}`)
    expect(outputs[2]).toMatch(/<details class="evidence" open><summary>Evidence \(\d+ row\(s\)\)<\/summary><pre>[^<]*&gt; {3}TCP/)
    expect(outputs[1]).toMatch(/```text\n[^`]*\n> {3}TCP/)
  })
})

describe('quoting from landmarks', () => {
  // A loop of a few MB: the lines wanted lie far past the first MiB.
  const text = loopText({...SCENARIOS.boundLeak, snapshots: 60})
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''))
  const wantedLines = [lines.length - 3, Math.floor(lines.length * 0.7)]
  const startOf = (line: number) => Buffer.byteLength(text.split('\n').slice(0, line - 1).join('\n')) + 1
  const read = async (file: string, digest: string) => {
    const wanted: Wanted = new Map([[file, new Map(wantedLines.map((l) => [l, null]))]])
    await readLines([file], wanted, new Map([[file, Buffer.byteLength(text)]]), undefined, new Map([[file, digest]]))
    return wantedLines.map((l) => wanted.get(file)!.get(l))
  }

  it('notes line starts while reading a UTF-8 file in one thread, and quotes from them', async () => {
    // Bytes of its own (one more line end), so no other test's landmarks apply to them.
    const own = `${text}\n`
    const [file] = tempFiles({'loop-one-thread.txt': own})
    const a = await runAnalysis([file!], {})
    expect(expectQuotesMatch(a, own)).toBeGreaterThanOrEqual(3)
    const input = a.document.inputs[0]!
    // About one landmark per MiB, each the start of the line it names.
    const far = landmarkBefore(input.sha256, input.bytes, lines.length)
    expect(far).not.toBeNull()
    expect(far!.byte).toBeGreaterThan(1 << 20)
    expect(far!.byte).toBe(startOf(far!.line))
  })

  it('reads from the last line start noted before the lines wanted, trusted only for the same bytes', async () => {
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 << 20)
    const [file] = tempFiles({'loop.txt': text})
    const sha = createHash('sha256').update(text).digest('hex')
    const mark = Math.floor(lines.length / 2)
    keepLandmarks(sha, Buffer.byteLength(text), [{line: 1, byte: 0, encoding: 'utf-8'}, {line: mark, byte: startOf(mark), encoding: 'utf-8'}])
    expect(await read(file!, sha)).toEqual(wantedLines.map((l) => lines[l - 1]))
    // A landmark one line off shifts every quote by one: the proof that reading started there.
    const other = createHash('sha256').update('another file').digest('hex')
    keepLandmarks(other, Buffer.byteLength(text), [{line: mark + 1, byte: startOf(mark), encoding: 'utf-8'}])
    expect(await read(file!, other)).toEqual(wantedLines.map((l) => lines[l - 2]))
    // Without landmarks for these bytes the file is read from its start.
    expect(await read(file!, createHash('sha256').update('unknown').digest('hex'))).toEqual(wantedLines.map((l) => lines[l - 1]))
  })
})

describe('remote endpoints per culprit', () => {
  it('names the endpoint a TIME_WAIT leak talks to, in the document, the timeline and the reports', async () => {
    const [file] = tempFiles({'netstat.txt': loopText(SCENARIOS.timeWaitLeak)})
    const a = await runAnalysis([file!], {})
    const f = a.document.findings.find((x) => x.state === 'TIME_WAIT')!
    expect(f.remotes?.[0]).toMatchObject({endpoint: '10.0.0.60:443', first: expect.any(Number), last: expect.any(Number)})
    const r = f.remotes![0]!
    expect(r.peak).toBeGreaterThanOrEqual(f.peak)
    expect(r.total).toBeGreaterThan(r.peak)
    expect(r.snapshots).toBeLessThanOrEqual(a.document.snapshots)
    const proc = a.timeline.processes.find((p) => p.pid === f.pid)!
    expect(proc.remotes?.[0]?.endpoint).toBe('10.0.0.60:443')
    expect(renderMarkdown(a)).toMatch(/\| `10\.0\.0\.60:443` \| \d+ \| [\d,]+ \| \d+ \|/)
    expect(renderHtml(a)).toContain('<code>10.0.0.60:443</code>')
    expect(renderAnalysis(a.document)).toMatch(/remote endpoints: 10\.0\.0\.60:443 \(peak \d+\)/)
  })
})

describe('quoted evidence with --redact', () => {
  it('replaces addresses inside the quotes and says so in both reports', async () => {
    const {redactAnalysis} = await import('../../src/report/redact.js')
    const [file] = tempFiles({'netstat.txt': loopText(SCENARIOS.timeWaitLeak)})
    const a = await runAnalysis([file!], {})
    const quotes = a.document.findings.flatMap((f) => f.evidence.map((e) => e.quote)).filter((q): q is string => q !== undefined)
    expect(quotes.some((q) => q.includes('10.0.0.60:443'))).toBe(true)
    const r = redactAnalysis(a)
    const redacted = r.document.findings.flatMap((f) => f.evidence.map((e) => e.quote)).filter((q): q is string => q !== undefined)
    expect(redacted).toHaveLength(quotes.length)
    for (const q of redacted) {
      expect(q).not.toMatch(/10\.0\.0\.\d+/)
      expect(q).toMatch(/TIME_WAIT|ESTABLISHED|LISTENING/)
    }
    const md = renderMarkdown(r, {redacted: true})
    const html = renderHtml(r, {redacted: true})
    for (const out of [md, html]) {
      expect(out).toMatch(/pseudonyms \(--redact\): IP addresses, host, domain and user names, and input file paths/)
      expect(out).toContain('also inside the quoted evidence lines')
      expect(out).not.toContain('10.0.0.60')
    }
  })
})
