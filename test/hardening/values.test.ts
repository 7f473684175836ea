import {Config} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {describe, expect, it} from 'vitest'

import Analyze from '../../src/commands/analyze.js'
import {inspectInputs} from '../../src/pipeline.js'
import {restoreProcessAfterEach} from '../helpers/commands.js'
import {netstat, tempTree} from './helpers.js'

const config = await Config.load(import.meta.url)
restoreProcessAfterEach()

const inspectOne = async (name: string, text: string) => (await inspectInputs([`${tempTree({[name]: text})}/${name}`], {})).inputs[0]!

describe('values no tool writes, in every connection format', () => {
  it('skips Get-NetTCPConnection CSV rows with port 99999, IP 999.1.1.1 or zz::1 as malformed', async () => {
    const header = '#TYPE Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetTCPConnection\r\n"LocalAddress","LocalPort","RemoteAddress","RemotePort","State","OwningProcess"\r\n'
    const rows = [
      ['10.0.0.5', '99999', '10.0.0.9', '443'],
      ['999.1.1.1', '50010', '10.0.0.9', '443'],
      ['10.0.0.5', '50011', '999.1.1.1', '443'],
      ['zz::1', '50012', '::', '0'],
      ['10.0.0.5', '50013', '10.0.0.9', '99999'],
      ['10.0.0.5', '50014', '10.0.0.9', '443'],
      ['fe80::1%12', '50015', 'fe80::2%12', '443'],
    ]
    const s = await inspectOne('conns.csv', header + rows.map((r) => `${[...r, 'Established', '4312'].map((v) => `"${v}"`).join(',')}\r\n`).join(''))
    expect(s).toMatchObject({format: 'get-nettcpconnection', records: 2, skippedByReason: {malformed: 5}})
  })

  it('skips the same values in Get-NetTCPConnection JSON', async () => {
    const conn = (a: string, p: number) => ({LocalAddress: a, LocalPort: p, RemoteAddress: '10.0.0.9', RemotePort: 443, State: 5, OwningProcess: 4312})
    const s = await inspectOne('conns.json', JSON.stringify([conn('10.0.0.5', 99999), conn('999.1.1.1', 50010), conn('zz::1', 50011), conn('10.0.0.5', 50012)], null, 2))
    expect(s).toMatchObject({format: 'get-nettcpconnection', records: 1})
    expect(s.skippedByReason.malformed).toBe(3)
  })

  it('skips them in Volatility 3 netscan CSV and Volatility 2 netscan text', async () => {
    const v3 =
      'Volatility 3 Framework 2.11.0\nTreeDepth,Offset,Proto,LocalAddr,LocalPort,ForeignAddr,ForeignPort,State,PID,Owner,Created\n' +
      [
        '0,0xc40f8e2a43d0,TCPv4,10.0.0.5,99999,10.0.0.9,443,ESTABLISHED,912,a.exe,N/A',
        '0,0xc40f8e2a43d1,TCPv4,999.1.1.1,50010,10.0.0.9,443,ESTABLISHED,912,a.exe,N/A',
        '0,0xc40f8e2a43d2,TCPv6,zz::1,50011,::,0,LISTENING,912,a.exe,N/A',
        '0,0xc40f8e2a43d3,TCPv4,10.0.0.5,50012,10.0.0.9,443,ESTABLISHED,912,a.exe,N/A',
      ].join('\n') +
      '\n'
    expect(await inspectOne('netscan.csv', v3)).toMatchObject({format: 'volatility-netscan', records: 1, skippedByReason: {malformed: 3}})
    const v2 =
      'Offset(P)          Proto    Local Address                  Foreign Address      State            Pid      Owner          Created\n' +
      [
        '0x000000007d9c5010 TCPv4    10.1.4.20:99999                10.1.4.8:1521        CLOSE_WAIT       3160     w3wp.exe',
        '0x000000007d9c6cf0 TCPv4    999.1.4.20:52051               10.1.4.8:1521        CLOSE_WAIT       3160     w3wp.exe',
        '0x000000007d9c8b20 TCPv6    zz::1:52077                    :::0                 LISTENING        3160     w3wp.exe',
        '0x000000007da0f4a0 TCPv4    10.1.4.20:52090                10.1.4.8:1521        FIN_WAIT2        3160     w3wp.exe',
        '0x000000007d7231c0 UDPv6    fe80::61b0:d1c3:c0b6:2ea8:1900 *:*                                   1404     svchost.exe    2021-04-19 17:21:02 UTC+0000',
      ].join('\n') +
      '\n'
    expect(await inspectOne('netscan.txt', v2)).toMatchObject({format: 'volatility-netscan', records: 2, skippedByReason: {malformed: 3}})
  })
})

describe('time flags', () => {
  it('refuses --tz +99:99 before reading, even for inputs that have no times', async () => {
    await expect(inspectInputs([tempTree({'empty.txt': ''})], {tz: '+99:99'})).rejects.toThrow(/^time zone offset '\+99:99' is out of range$/)
    await expect(inspectInputs([tempTree({'empty.txt': ''})], {tz: 'Mars/Olympus'})).rejects.toThrow(/^unknown time zone 'Mars\/Olympus'$/)
  })

  it('runs to the end with --max-seconds past Node\'s 24.8-day timer limit (2147484 s and more)', async () => {
    const path = `${tempTree({'netstat.txt': netstat(5)})}/netstat.txt`
    for (const seconds of ['2147484', '99999999']) {
      process.exitCode = undefined
      const out = await captureOutput(() => Analyze.run([path, '--max-seconds', seconds], config))
      expect(out.error).toBeUndefined()
      expect(out.stderr).not.toMatch(/interrupted/)
      expect(out.stdout).not.toMatch(/partial/i)
      expect(Number(process.exitCode ?? 0)).toBe(0)
    }
  })
})

describe('committed bad inputs with impossible values', () => {
  const BAD = new URL('../../corpus/bad/', import.meta.url).pathname
  it.each([
    ['get-nettcpconnection-impossible-values.csv', 1, 3],
    ['volatility-netscan-impossible-values.txt', 2, 4],
  ])('%s: the impossible rows are malformed skips, not records', async (file, records, malformed) => {
    const [s] = (await inspectInputs([BAD + file], {})).inputs
    expect(s).toMatchObject({records, error: null})
    expect(s!.skippedByReason.malformed).toBe(malformed)
  })
})
