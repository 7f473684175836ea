import {describe, expect, it} from 'vitest'

import {accountedLines, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {getNetTcpConnectionParser} from '../../src/formats/get-nettcpconnection/index.js'
import {hostnameParser} from '../../src/formats/hostname/index.js'
import {ipconfigParser} from '../../src/formats/ipconfig/index.js'
import {detectFormat} from '../../src/formats/registry.js'
import {systeminfoParser} from '../../src/formats/systeminfo/index.js'
import type {Parser} from '../../src/formats/types.js'

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`

const IPCONFIG_EN = crlf([
  '',
  'Windows IP Configuration',
  '',
  '   Host Name . . . . . . . . . . . . : SRV-WEB01',
  '   Primary Dns Suffix  . . . . . . . : contoso.local',
  '   Node Type . . . . . . . . . . . . : Hybrid',
  '   IP Routing Enabled. . . . . . . . : No',
  '   DNS Suffix Search List. . . . . . : contoso.local',
  '',
  'Ethernet adapter Ethernet0:',
  '',
  '   Connection-specific DNS Suffix  . : corp.contoso.local',
  '   Description . . . . . . . . . . . : vmxnet3 Ethernet Adapter',
  '   IPv4 Address. . . . . . . . . . . : 10.0.0.5(Preferred)',
  '   Lease Obtained. . . . . . . . . . : Monday, March 9, 2026 10:00:01 AM',
  '   DNS Servers . . . . . . . . . . . : 10.0.0.2',
  '                                       10.0.0.3',
])

const IPCONFIG_DE = crlf([
  '',
  'Windows-IP-Konfiguration',
  '',
  '   Hostname  . . . . . . . . . . . . : srv-sql02',
  '   Primäres DNS-Suffix . . . . . . . : ',
  '   Knotentyp . . . . . . . . . . . . : Hybrid',
  '',
  'Ethernet-Adapter Ethernet:',
  '',
  '   Verbindungsspezifisches DNS-Suffix: ',
  '   IPv4-Adresse  . . . . . . . . . . : 192.168.1.20(Bevorzugt)',
])

// A language whose label is not listed: the first pair of the host block is the host name.
const IPCONFIG_PL = crlf([
  'Konfiguracja IP systemu Windows',
  '',
  '   Nazwa hosta . . . . . . . . . . . : PC-KRAKOW7',
  '   Sufiks podstawowej domeny DNS . . : ',
  '',
  'Karta Ethernet Ethernet:',
  '',
  '   Sufiks DNS konkretnego połączenia : ',
])

// `ipconfig` without /all has no host block: its first pair is an adapter's DNS suffix, not a host.
const IPCONFIG_PLAIN = crlf([
  '',
  'Windows IP Configuration',
  '',
  '',
  'Ethernet adapter Ethernet0:',
  '',
  '   Connection-specific DNS Suffix  . : corp.contoso.local',
  '   IPv4 Address. . . . . . . . . . . : 10.0.0.5',
  '   Subnet Mask . . . . . . . . . . . : 255.255.255.0',
  '   Default Gateway . . . . . . . . . : 10.0.0.1',
])

const SYSTEMINFO_EN = crlf([
  '',
  'Host Name:                 SRV-SQL02',
  'OS Name:                   Microsoft Windows Server 2019 Standard',
  'OS Version:                10.0.17763 N/A Build 17763',
  'System Boot Time:          3/9/2026, 8:01:12 AM',
  'Hotfix(s):                 2 Hotfix(s) Installed.',
  '                           [01]: KB4514366',
  '                           [02]: KB4512577',
  'Network Card(s):           1 NIC(s) Installed.',
  '                           [01]: vmxnet3 Ethernet Adapter',
  '                                 Connection Name: Ethernet0',
  'Hyper-V Requirements:      A hypervisor has been detected. Features required for Hyper-V will not be displayed.',
])

const SYSTEMINFO_FR = crlf([
  '',
  'Nom de l’hôte:                              SRV-PARIS01',
  'Nom du système d’exploitation:              Microsoft Windows Server 2022 Standard',
  'Version du système:                         10.0.20348 N/A version 20348',
])

const SYSTEMINFO_CSV = crlf([
  '"Host Name","OS Name","OS Version","System Boot Time"',
  '"SRV-APP03","Microsoft Windows Server 2016 Datacenter","10.0.14393 N/A Build 14393","3/9/2026, 8:01:12 AM"',
])

function read(parser: Parser, text: string) {
  const c = parseText(parser, text)
  expect(accountedLines(c)).toBe(splitLines(text).lines.length)
  return c
}

describe('host names the evidence states', () => {
  it.each([
    ['English ipconfig /all', IPCONFIG_EN, 'SRV-WEB01'],
    ['German ipconfig /all', IPCONFIG_DE, 'srv-sql02'],
    ['ipconfig /all in a language whose label is not known (by position)', IPCONFIG_PL, 'PC-KRAKOW7'],
  ])('reads the host name of %s and accounts for every line', (_, text, host) => {
    expect(detectFormat(text)?.parser.id).toBe('ipconfig')
    const c = read(ipconfigParser, text)
    expect(c.notes.host).toBe(host)
    expect(c.skipped).toEqual([])
  })

  it('takes no host from plain ipconfig, whose first pair is an adapter\'s DNS suffix', () => {
    expect(detectFormat(IPCONFIG_PLAIN)?.parser.id).toBe('ipconfig')
    expect(read(ipconfigParser, IPCONFIG_PLAIN).notes.host).toBeUndefined()
  })

  it.each([
    ['English systeminfo', SYSTEMINFO_EN, 'SRV-SQL02'],
    ['French systeminfo', SYSTEMINFO_FR, 'SRV-PARIS01'],
    ['systeminfo /fo csv', SYSTEMINFO_CSV, 'SRV-APP03'],
  ])('reads the host name of %s', (_, text, host) => {
    expect(detectFormat(text)?.parser.id).toBe('systeminfo')
    const c = read(systeminfoParser, text)
    expect(c.notes.host).toBe(host)
    expect(c.skipped).toEqual([])
  })

  it('reads hostname output, and takes a plain word or a sentence for no host name', () => {
    expect(detectFormat('SRV-WEB01\r\n')?.parser.id).toBe('hostname')
    expect(read(hostnameParser, '\ufeffSRV-WEB01\r\n').notes.host).toBe('SRV-WEB01')
    for (const text of ['hello\n', 'SRV-WEB01 is down\n', 'SRV-WEB01\nSRV-SQL02\n', '10.0.0.5\n', '']) {
      expect(detectFormat(text)?.parser.id, JSON.stringify(text)).not.toBe('hostname')
    }
  })

  it.each([
    [
      'Export-Csv',
      crlf([
        '#TYPE Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetTCPConnection',
        '"LocalAddress","LocalPort","RemoteAddress","RemotePort","State","OwningProcess","PSComputerName"',
        '"10.0.0.5","50001","10.0.0.9","443","Established","4312","SRV-WEB01"',
        '"10.0.0.5","50002","10.0.0.9","443","Established","4312","SRV-WEB01"',
      ]),
    ],
    [
      'ConvertTo-Json',
      JSON.stringify([
        {LocalAddress: '10.0.0.5', LocalPort: 50001, RemoteAddress: '10.0.0.9', RemotePort: 443, State: 5, OwningProcess: 4312, PSComputerName: 'SRV-WEB01'},
      ]),
    ],
    [
      'Format-List',
      crlf([
        '',
        'LocalAddress   : 10.0.0.5',
        'LocalPort      : 50001',
        'RemoteAddress  : 10.0.0.9',
        'RemotePort     : 443',
        'State          : Established',
        'OwningProcess  : 4312',
        'PSComputerName : SRV-WEB01',
        '',
      ]),
    ],
    [
      'an Invoke-Command table',
      crlf([
        '',
        'LocalAddress LocalPort RemoteAddress RemotePort State       OwningProcess PSComputerName',
        '------------ --------- ------------- ---------- -----       ------------- --------------',
        '10.0.0.5     50001     10.0.0.9      443        Established 4312          SRV-WEB01',
      ]),
    ],
  ])('notes the PSComputerName of Get-NetTCPConnection rows (%s) as the host', (_, text) => {
    const c = parseText(getNetTcpConnectionParser, text)
    expect(c.records.filter((r) => r.kind === 'connection').length).toBeGreaterThan(0)
    expect(c.notes.host).toBe('SRV-WEB01')
  })

  it('keeps the first PSComputerName when rows name several, and ignores a blank one', () => {
    const text = crlf([
      '"LocalAddress","LocalPort","RemoteAddress","RemotePort","State","OwningProcess","PSComputerName"',
      '"10.0.0.5","50001","10.0.0.9","443","Established","4312",""',
      '"10.0.0.5","50002","10.0.0.9","443","Established","4312","SRV-WEB01"',
      '"10.0.0.6","50003","10.0.0.9","443","Established","4312","SRV-WEB02"',
    ])
    expect(parseText(getNetTcpConnectionParser, text).notes.host).toBe('SRV-WEB01')
  })
})
