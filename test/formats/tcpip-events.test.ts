import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {accountedLines, parseText, splitLines} from '../../src/formats/shared/collect.js'
import type {Collected} from '../../src/formats/shared/collect.js'
import {eventSymptom, tcpipEventsParser} from '../../src/formats/events/index.js'
import {formatWallTime} from '../../src/formats/shared/timestamps.js'
import type {DateOrder, EventRecord} from '../../src/formats/types.js'

const fixture = (name: string) => readFileSync(new URL(`../../corpus/tcpip-events/${name}`, import.meta.url), 'utf8')

function parse(text: string, dateOrder?: DateOrder) {
  const c = parseText(tcpipEventsParser, text, dateOrder ? {dateOrder} : {})
  const events = c.records.filter((r): r is Extract<typeof r, {kind: 'event'}> => r.kind === 'event')
  return {c, events, total: splitLines(text).lines.length}
}

const iso = (e: EventRecord) => (e.time === null ? null : formatWallTime(e.time))
const brief = (e: EventRecord) => [e.line, e.id, e.source, iso(e), e.level]
const skips = (c: Collected) => c.skipped.map((s) => [s.line, s.reason])

describe('tcpip-events', () => {
  it('reads an en-US Event Viewer CSV with a quoted multi-line message and a cut-off last row', () => {
    const {c, events, total} = parse(fixture('eventviewer-system-en-us.csv'))
    expect(events.map(brief)).toEqual([
      [2, 4227, 'Tcpip', '2023-03-14T09:41:07.000', 'Warning'],
      [3, 4231, 'Tcpip', '2023-03-14T09:40:55.000', 'Warning'],
      [4, 4266, 'Tcpip', '2023-03-14T09:40:55.000', 'Warning'],
      [5, 7036, 'Service Control Manager', '2023-03-14T09:38:12.000', 'Information'],
      [6, 10016, 'Microsoft-Windows-DistributedCOM', '2023-03-14T09:30:01.000', 'Error'],
      [11, 4231, 'Tcpip', '2023-03-10T14:05:12.000', 'Warning'],
      [12, 6013, 'EventLog', '2023-03-10T14:00:00.000', 'Information'],
    ])
    expect(events[4]!.message).toContain('{D63B10C5-BB46-4990-A94F-E40B9D520160}\n and APPID')
    expect(events[4]!.message.endsWith('Component Services administrative tool.')).toBe(true)
    expect(skips(c)).toEqual([[13, 'truncated']])
    expect(c.notes).toMatchObject({view: 'csv', dateOrder: 'mdy (evidence)'})
    expect(accountedLines(c)).toBe(total)
  })

  it('reads a German CSV export and takes its ambiguous dates day first', () => {
    const {c, events, total} = parse(fixture('eventviewer-system-de-de.csv'))
    expect(events.map(brief)).toEqual([
      [2, 4231, 'Tcpip', '2023-04-03T08:15:42.000', 'Warning'],
      [3, 7036, 'Service Control Manager', '2023-04-03T08:10:00.000', 'Information'],
      [4, 4227, 'Tcpip', '2023-04-03T07:59:31.000', 'Warning'],
    ])
    expect(events[1]!.message).toBe('Der Dienst "Windows Update" befindet sich jetzt im Status "Ausgeführt".')
    expect(c.notes.dateOrder).toBe('dmy (hint)')
    expect(accountedLines(c)).toBe(total)
  })

  it('lets --date-order override the culture hint', () => {
    const {events} = parse(fixture('eventviewer-system-de-de.csv'), 'mdy')
    expect(iso(events[0]!)).toBe('2023-03-04T08:15:42.000')
  })

  it('reads a French tab-separated text export with a quoted message spanning two lines', () => {
    const {c, events, total} = parse(fixture('eventviewer-system-fr-fr.txt'))
    expect(events.map(brief)).toEqual([
      [2, 4231, 'Tcpip', '2023-03-05T14:05:12.000', 'Warning'],
      [4, 7036, 'Service Control Manager', '2023-03-05T14:00:00.000', 'Information'],
      [5, 4266, 'Tcpip', '2023-03-04T23:59:59.000', 'Warning'],
    ])
    expect(events[0]!.message).toMatch(/TCP global,\ncar tous ces ports/)
    expect(c.notes.view).toBe('txt')
    expect(accountedLines(c)).toBe(total)
  })

  it('keeps application events and classifies only the WinSock ones that say so', () => {
    const {events} = parse(fixture('eventviewer-application-en-gb.csv'))
    expect(events.map((e) => [e.id, iso(e), eventSymptom(e)])).toEqual([
      [1001, '2023-03-14T09:41:10.000', 'wsaenobufs'],
      [1002, '2023-03-14T09:41:09.000', 'wsaeaddrinuse'],
      [1000, '2023-03-14T09:41:00.000', null],
      [1000, '2023-03-14T09:40:00.000', null],
    ])
  })

  it('reads copied details, folding the description and the Event Xml part into one record each', () => {
    const {c, events, total} = parse(fixture('copy-details-as-text.txt'))
    expect(events.map(brief)).toEqual([
      [1, 4227, 'Tcpip', '2013-12-02T11:52:26.000', 'Warning'],
      [31, 4231, 'Tcpip', '2013-12-02T12:58:03.000', 'Warning'],
    ])
    expect(events[0]!.computer).toBe('WEB01.contoso.local')
    expect(events[0]!.message).toMatch(/^TCP\/IP failed .* remote endpoint\.$/)
    expect(events[1]!.message).toBe(
      'A request to allocate an ephemeral port number from the global TCP port space has failed due to all such ports being in use.',
    )
    expect(skips(c)).toEqual([[30, 'junk']])
    expect(c.notes).toMatchObject({view: 'details', host: 'WEB01.contoso.local'})
    expect(accountedLines(c)).toBe(total)
  })

  it('reads wevtutil text blocks and reports a block cut before its event id', () => {
    const {c, events, total} = parse(fixture('wevtutil-qe-text.txt'))
    expect(events.map(brief)).toEqual([
      [2, 4231, 'Tcpip', '2023-03-10T14:05:12.340', 'Warning'],
      [17, 4227, 'Tcpip', '2023-03-10T14:05:40.112', 'Warning'],
    ])
    expect(events[0]!.computer).toBe('APP02')
    expect(skips(c)).toEqual([
      [1, 'echo'],
      [32, 'truncated'],
    ])
    expect(accountedLines(c)).toBe(total)
  })

  it('reads wevtutil XML: one event per line, two on a line, pretty-printed, and a cut-off one', () => {
    const {c, events, total} = parse(fixture('wevtutil-qe-xml.xml'))
    expect(events.map(brief)).toEqual([
      [2, 4231, 'Tcpip', '2023-03-10T14:05:12.340', 'Warning'],
      [3, 4227, 'Tcpip', '2023-03-10T14:05:40.112', 'Warning'],
      [3, 4266, 'Tcpip', '2023-03-10T14:05:41.000', 'Warning'],
      [4, 4227, 'Tcpip', '2023-03-10T14:06:00.500', 'Warning'],
    ])
    expect(events[3]!.message).toMatch(/same remote endpoint & port\.$/)
    expect(skips(c)).toEqual([
      [1, 'echo'],
      [17, 'truncated'],
    ])
    expect(c.notes).toMatchObject({view: 'xml', host: 'APP02'})
    expect(accountedLines(c)).toBe(total)
  })

  it('reads Get-WinEvent Format-List, default and `*` views, joining wrapped messages', () => {
    const {c, events, total} = parse(fixture('get-winevent-format-list.txt'))
    expect(events.map(brief)).toEqual([
      [4, 4227, 'Tcpip', '2023-03-10T14:05:40.000', null],
      [11, 4231, 'Tcpip', '2023-03-10T14:05:12.000', null],
      [22, 4266, 'Tcpip', '2023-03-13T08:00:01.000', 'Warning'],
    ])
    expect(events[1]!.message).toBe(
      'A request to allocate an ephemeral port number from the global TCP port space has failed due to all such ports being in use.',
    )
    expect(events[2]!.computer).toBe('APP02.corp.example')
    expect(skips(c)).toEqual([
      [1, 'echo'],
      [19, 'echo'],
    ])
    expect(accountedLines(c)).toBe(total)
  })

  it('reads the Get-WinEvent table with its ProviderName groups, a wrapped row and a cut-off row', () => {
    const {c, events, total} = parse(fixture('get-winevent-table.txt'))
    expect(events.map(brief)).toEqual([
      [8, 4227, 'Tcpip', '2023-03-14T09:41:07.000', 'Warning'],
      [9, 4231, 'Tcpip', '2023-03-14T09:40:55.000', 'Warning'],
      [16, 7036, 'Service Control Manager', '2023-03-14T09:38:12.000', 'Information'],
      [17, 7036, 'Service Control Manager', '2023-03-14T09:38:10.000', 'Information'],
    ])
    expect(events[0]!.message.endsWith('recently used to conn...')).toBe(true)
    expect(skips(c)).toEqual([
      [1, 'echo'],
      [19, 'truncated'],
    ])
    expect(accountedLines(c)).toBe(total)
  })

  it('holds ambiguous dates until one settles the order, keeping the calls in source order', () => {
    const text = [
      'Level,Date and Time,Source,Event ID,Task Category',
      'Warning,4/5/2023 1:00:00 PM,Tcpip,4231,None,x',
      'junk line',
      'Warning,13/5/2023 1:00:00 PM,Tcpip,4231,None,y',
    ].join('\r\n')
    const {c, events} = parse(text)
    expect(events.map(iso)).toEqual(['2023-05-04T13:00:00.000', '2023-05-13T13:00:00.000'])
    expect(c.notes.dateOrder).toBe('dmy (evidence)')
    expect(skips(c)).toEqual([[3, 'junk']])
  })

  it('reads header-less rows only when level, date and id all fit', () => {
    const text = 'Warning,3/14/2023 9:41:07 AM,Tcpip,4227,None,TIME_WAIT collision\nname,3/14/2023,x,12,y\n'
    const {c, events} = parse(text)
    expect(events.map((e) => e.id)).toEqual([4227])
    expect(skips(c)).toEqual([[2, 'junk']])
  })

  it('reads thousands of XML events written on one line, but caps other over-long lines', () => {
    const ms = (i: number) => String(i % 1000).padStart(3, '0')
    const one = (i: number) =>
      `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Tcpip'/>` +
      `<EventID Qualifiers='0'>4231</EventID><Level>3</Level>` +
      `<TimeCreated SystemTime='2023-03-10T14:05:12.${ms(i)}0000Z'/>` +
      `<Computer>APP02</Computer></System></Event>`
    const xml = Array.from({length: 5000}, (_, i) => one(i)).join('')
    const {c, events, total} = parse(`${xml}\n${'x'.repeat(2 << 20)}\n`)
    expect(xml.length).toBeGreaterThan(1 << 20)
    expect(events).toHaveLength(5000)
    expect(new Set(events.map((e) => e.line))).toEqual(new Set([1]))
    expect(c.skipped.map((s) => [s.line, s.reason, s.raw.length])).toEqual([[2, 'too-long', 200]])
    expect(accountedLines(c)).toBe(total)
  })

  it('skips a Get-Process Format-List block instead of inventing an event from its Id', () => {
    const text = 'Id      : 4231\r\nHandles : 312\r\nName    : svchost\r\n'
    const {c, events, total} = parse(text)
    expect(events).toEqual([])
    expect(accountedLines(c)).toBe(total)
  })
})

describe('eventSymptom', () => {
  const ev = (id: number, source: string, message = '') => ({id, source, message})

  it('names the Tcpip exhaustion events only when Tcpip logged them', () => {
    expect(eventSymptom(ev(4227, 'Tcpip'))).toBe('time-wait-collision')
    expect(eventSymptom(ev(4231, 'tcpip'))).toBe('tcp-ports-exhausted')
    expect(eventSymptom(ev(4266, 'Microsoft-Windows-Tcpip'))).toBe('udp-ports-exhausted')
    expect(eventSymptom(ev(4231, 'MyApp'))).toBeNull()
    expect(eventSymptom(ev(4231, '', 'A request to allocate an ephemeral port number ...'))).toBe('tcp-ports-exhausted')
    expect(eventSymptom(ev(4231, '', 'unrelated'))).toBeNull()
  })

  it('names the AFD failure the netsh-trace parser emits', () => {
    expect(eventSymptom(ev(521, 'Microsoft-Windows-Winsock-AFD'))).toBe('afd-too-many-addresses')
  })

  it('needs a socket context around a bare WinSock number', () => {
    expect(eventSymptom(ev(1, 'App', 'socket error 10055'))).toBe('wsaenobufs')
    const addrInUse = 'Only one usage of each socket address (protocol/network address/port) is normally permitted'
    expect(eventSymptom(ev(1, 'App', addrInUse))).toBe('wsaeaddrinuse')
    expect(eventSymptom(ev(1, 'App', 'Imported 10048 rows'))).toBeNull()
  })
})

describe('tcpip-events detect', () => {
  it('is confident on every layout it reads', () => {
    for (const f of readdirSync(new URL('../../corpus/tcpip-events/', import.meta.url))) {
      expect(tcpipEventsParser.detect(fixture(f)), f).toBeGreaterThanOrEqual(0.8)
    }
  })

  const others: Record<string, string> = {
    netstat: '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1016\r\n',
    'Get-NetTCPConnection':
      'LocalAddress  LocalPort RemoteAddress RemotePort State       AppliedSetting OwningProcess\r\n------------  --------- ------------- ---------- -----       -------------- -------------\r\n0.0.0.0       50100     0.0.0.0       0          Bound                      44328\r\n',
    'Get-Process': 'Handles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName\r\n-------  ------    -----      -----     ------     --  -- -----------\r\n    312      18     4567      12345       0.50   4231   0 svchost\r\n',
    'Get-Process | fl': 'Id      : 4231\r\nHandles : 312\r\nCPU     : 0.5\r\nName    : svchost\r\n',
    'handle.exe': 'Nthandle v4.22 - Handle viewer\r\n\r\nchrome.exe pid: 4231 type: File  24C: \\Device\\Afd\r\n',
    volatility: 'Offset(P)\tProto\tLocalAddr\tLocalPort\tForeignAddr\tForeignPort\tState\tPID\tOwner\tCreated\r\n0x7e25c8\tTCPv4\t0.0.0.0\t135\t0.0.0.0\t0\tLISTENING\t4231\tsvchost.exe\t2023-03-10 14:05:12.000000 UTC\r\n',
    'generic CSV': 'Name,Date,Source,ID,Category\r\nalpha,2023-03-10,web,12,x\r\nbeta,2023-03-11,web,13,y\r\n',
    tasklist: '"Image Name","PID","Session Name","Session#","Mem Usage"\r\n"svchost.exe","4231","Services","0","12,345 K"\r\n',
    tracerpt:
      'Event Name, Type, Event ID, Version, Channel, Level, Opcode, Task, Keyword, PID, TID, Processor Number, Instance ID, Parent Instance ID, Activity ID, Related Activity ID, Clock-Time, Kernel(ms), User(ms), User Data\r\n',
    'netsh trace': '[0]0F6C.1A2C::2023-03-10 14:05:12.3400000 [Microsoft-Windows-Winsock-AFD]bind: 0 (0x0): Status 0x209\r\n',
  }

  for (const [name, text] of Object.entries(others)) {
    it(`scores ${name} low`, () => {
      expect(tcpipEventsParser.detect(text)).toBeLessThan(0.5)
    })
  }

  it('is total on odd input', () => {
    for (const s of ['', '\uFEFF', '<', '<Event', 'Event[0]:', ',,,,,', '"', '\t\t\t\t', 'Id : x'.repeat(10000)]) {
      expect(() => tcpipEventsParser.detect(s)).not.toThrow()
    }
  })

  const real = new URL('../../../shared/corpus/real/', import.meta.url)
  describe.skipIf(!existsSync(real))('on the real samples (none is an event export)', () => {
    it('scores every one low', () => {
      for (const dir of readdirSync(real, {withFileTypes: true}).filter((d) => d.isDirectory())) {
        for (const f of readdirSync(new URL(`${dir.name}/`, real))) {
          const text = readFileSync(new URL(`${dir.name}/${f}`, real), 'utf8').slice(0, 65536)
          expect(tcpipEventsParser.detect(text), `${dir.name}/${f}`).toBeLessThan(0.5)
        }
      }
    })
  })
})
