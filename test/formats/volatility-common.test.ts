import {describe, expect, it} from 'vitest'

import {isAfdName, isElision} from '../../src/formats/shared/dump-common.js'
import {commandPlugin, isEcho, splitCsv, splitEndpoint, volState, volTime} from '../../src/formats/volatility/common.js'
import {emitJsonLine, type JsonRow, JsonTableReader} from '../../src/formats/volatility/json.js'

describe('splitCsv', () => {
  it('undoes doubled backslashes, doubled quotes and minimal quoting', () => {
    expect(splitCsv('0,6812,\\\\Device\\\\Afd\\\\Endpoint,"a, b","say ""hi""",')).toEqual([
      '0', '6812', '\\Device\\Afd\\Endpoint', 'a, b', 'say "hi"', '',
    ])
    expect(splitCsv('"C:\\\\dir\\\\",x')).toEqual(['C:\\dir\\', 'x'])
  })

  it('returns null while a quoted field is still open', () => {
    expect(splitCsv('0,"powershell -Command "" first line')).toBeNull()
    expect(splitCsv('0,"one\ntwo",3')).toEqual(['0', 'one\ntwo', '3'])
  })
})

describe('volatility field helpers', () => {
  it('maps Volatility state words to the canonical names', () => {
    expect(['FIN_WAIT1', 'FIN_WAIT2', 'SYN_RCVD', 'LISTENING', 'CLOSE_WAIT', 'close_wait', '47', ''].map(volState)).toEqual([
      'FIN_WAIT_1', 'FIN_WAIT_2', 'SYN_RECEIVED', 'LISTENING', 'CLOSE_WAIT', 'CLOSE_WAIT', null, null,
    ])
  })

  it('splits Volatility 2 ip:port endpoints', () => {
    expect(['10.0.2.15:1900', ':::49153', '-:49227', '*:*', 'fe80::61b0:d1c3:c0b6:2ea8:1900', '0.0.0.0:0'].map(splitEndpoint)).toEqual([
      {addr: '10.0.2.15', port: 1900},
      {addr: '::', port: 49153},
      {addr: '*', port: 49227},
      {addr: '*', port: -1},
      {addr: 'fe80::61b0:d1c3:c0b6:2ea8', port: 1900},
      {addr: '0.0.0.0', port: 0},
    ])
  })

  it('reads the datetimes of every renderer as wall time', () => {
    const t = Date.UTC(2025, 1, 11, 11, 35, 41)
    expect(volTime('2025-02-11 11:35:41.000000 UTC')).toBe(t)
    expect(volTime('2025-02-11 11:35:41.000000 ')).toBe(t)
    expect(volTime('2025-02-11 11:35:41 UTC+0000')).toBe(t)
    expect(volTime('2025-02-11T11:35:41+00:00')).toBe(t)
    expect(volTime('N/A')).toBeNull()
  })

  it('recognises command lines and the plugin they run', () => {
    expect(isEcho('└─$ vol3 -f mem.raw windows.netscan | tee out.log')).toBe(true)
    expect(isEcho('PS C:\\tools> python vol.py -f x.raw windows.handles --pid 6812')).toBe(true)
    expect(isEcho('0x3dd557e8\tTCPv4\t0.0.0.0\t445')).toBe(false)
    expect(commandPlugin('vol -f x windows.netstat.NetStat')).toBe('netstat')
    expect(commandPlugin('vol.py -f x --profile=WinXPSP3x86 connscan')).toBe('connscan')
  })

  it('names AFD endpoints and author elisions', () => {
    expect(['\\Device\\Afd', '\\Device\\Afd\\Endpoint', '\\Endpoint {Afd}', '\\Device\\Afd\\AsyncConnectHlp', '\\Device\\Nsi'].map(isAfdName))
      .toEqual([true, true, true, false, false])
    expect(['...', '[snip]', '<Output Snipped due to space constraints>', '.', 'snip'].map(isElision)).toEqual([true, true, true, false, false])
  })
})

describe('JsonTableReader', () => {
  it('emits each row under its opening line, parents when their children start', () => {
    const rows: [JsonRow, number][] = []
    const reader = new JsonTableReader((row, line) => rows.push([row, line]))
    const lines = ['[', '{', '"PID": 4,', '"__children": [', '{', '"PID": 8,', '"__children": []', '}', ']', '},', '{', '"PID": 12', '}', ']']
    const kinds = lines.map((l, i) => reader.line(l, i + 1))
    expect(rows).toEqual([[{PID: 4}, 2], [{PID: 8}, 5], [{PID: 12}, 11]])
    expect(kinds.filter((k) => k === 'row-start')).toHaveLength(3)
    expect(kinds.filter((k) => k === 'bad')).toHaveLength(0)
    expect(reader.open).toBe(false)
  })

  it('reports the rows left open when the document is cut off', () => {
    const reader = new JsonTableReader(() => undefined)
    for (const [i, l] of ['[', '{', '"PID": 4,'].entries()) reader.line(l, i + 1)
    expect(reader.abandon()).toEqual([2])
    expect(reader.open).toBe(false)
  })

  it('reads one-line documents: jsonl trees and Volatility 2 columns/rows', () => {
    const rows: JsonRow[] = []
    expect(emitJsonLine('{"PID": 4, "__children": [{"PID": 8, "__children": []}]}', 1, (r) => rows.push(r))).toBe(2)
    expect(emitJsonLine('{"columns": ["Pid", "Name"], "rows": [[4, "System"]]}', 2, (r) => rows.push(r))).toBe(1)
    expect(emitJsonLine('not json', 3, (r) => rows.push(r))).toBe(-1)
    expect(rows).toEqual([{PID: 4}, {PID: 8}, {Pid: 4, Name: 'System'}])
  })
})
