import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {accountedLines, type Collected, type CollectedRecord, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {volatilityHandlesParser as parser} from '../../src/formats/volatility/handles.js'

type Handle = Extract<CollectedRecord, {kind: 'handle'}>

const fixture = (file: string) => readFileSync(new URL(`../../corpus/volatility-handles/${file}`, import.meta.url), 'utf8')
const realDir = fileURLToPath(new URL('../../../shared/corpus/real/', import.meta.url))
const handles = (c: Collected) => c.records.filter((r): r is Handle => r.kind === 'handle')
const parse = (text: string) => {
  const c = parseText(parser, text)
  expect(accountedLines(c)).toBe(splitLines(text).lines.length)
  return c
}
const strip = ({line, snapshot, kind, ...rest}: Handle) => rest

describe('volatilityHandlesParser', () => {
  it('reads Volatility 3 text handles with many AFD endpoints for one process', () => {
    const c = parse(fixture('vol3-handles-node-afd.txt'))
    const rows = handles(c)
    expect(rows).toHaveLength(74)
    expect(rows.filter((r) => r.afd && r.pid === 7788)).toHaveLength(48)
    expect(rows.filter((r) => r.afd && r.pid === 2210)).toHaveLength(1)
    // The AsyncConnectHlp helper and \Device\Nsi are AFD-adjacent but not sockets.
    expect(rows.filter((r) => r.name === '\\Device\\Afd\\AsyncConnectHlp').every((r) => !r.afd)).toBe(true)
    expect(rows[0]).toEqual({kind: 'handle', snapshot: -1, pid: 7788, process: 'node.exe', type: 'Event', name: '', afd: false, line: 6})
    expect(rows[7]?.type).toBe('ᅘ௲ᙘ௲쨐௲')
    expect(rows[8]).toMatchObject({type: 'Process', name: 'cmd.exe Pid 4364'})
    expect(rows[4]?.type).toBe('ALPC Port')
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[1, 'echo']])
    expect(c.notes).toEqual({view: 'vol3-text', plugin: 'handles'})
  })

  it('undoes the doubled backslashes of -r csv and reads -r json', () => {
    const text = handles(parse(fixture('vol3-handles-node-afd.txt'))).map(strip)
    const csv = parse(fixture('vol3-handles-node-afd.csv'))
    expect(handles(csv).map(strip)).toEqual(text)
    expect(handles(csv)[2]?.name).toBe('\\Device\\HarddiskVolume3\\Program Files\\nodejs')
    const json = parse(fixture('vol3-handles-node-afd.json'))
    expect(handles(json).map(strip)).toEqual(text.slice(0, 20))
    expect(json.notes.view).toBe('vol3-json')
  })

  it('reads Volatility 2 handles: padded types, types with a space or over 16 characters, empty details', () => {
    const c = parse(fixture('vol2-handles-win7-afd.txt'))
    expect(handles(c).map((r) => [r.type, r.name, r.afd])).toEqual([
      ['File', '\\Device\\HarddiskVolume2\\Program Files\\Java\\jre\\bin', false],
      ['Event', '', false],
      ['File', '\\Device\\Afd\\Endpoint', true],
      ['File', '\\Device\\Afd\\Endpoint', true],
      ['IoCompletionReserve', '', false],
      ['File', '\\Device\\Afd\\Endpoint', true],
      ['File', '\\Device\\Afd', true],
      ['File', '\\Device\\Nsi', false],
      ['File', '\\Device\\Afd\\Endpoint', true],
      ['ALPC Port', '', false],
      ['File', '\\Device\\Afd\\AsyncConnectHlp', false],
    ])
    expect(handles(c).every((r) => r.pid === 4312 && r.process === null)).toBe(true)
    expect(c.notes).toEqual({view: 'vol2', plugin: 'handles'})
  })

  it('skips a row without a readable PID and keeps reading', () => {
    const text = 'PID\tProcess\tOffset\tHandleValue\tType\tGrantedAccess\tName\n\n-\tsvchost.exe\t0x1\t0x4\tFile\t0x16019f\t\\Device\\Afd\\Endpoint\n4\tSystem\t0x2\t0x8\tFile\t0x16019f\t\\Device\\Afd\\Endpoint\n'
    const c = parse(text)
    expect(handles(c).map((r) => r.pid)).toEqual([4])
    expect(c.skipped).toEqual([{line: 3, reason: 'malformed', raw: '-\tsvchost.exe\t0x1\t0x4\tFile\t0x16019f\t\\Device\\Afd\\Endpoint'}])
  })

  it('detects its renderings and not netscan, pslist or handle.exe output', () => {
    for (const f of ['vol3-handles-node-afd.txt', 'vol3-handles-node-afd.csv', 'vol3-handles-node-afd.json', 'vol2-handles-win7-afd.txt']) {
      expect(parser.detect(fixture(f))).toBeGreaterThanOrEqual(0.8)
    }
    expect(parser.detect('Offset\tProto\tLocalAddr\tLocalPort\tForeignAddr\tForeignPort\tState\tPID\tOwner\tCreated\n')).toBeLessThan(0.5)
    expect(parser.detect('Nthandle v4.22 - Handle viewer\n\n  24C: File  (RW-)   \\Device\\Afd\n')).toBe(0)
  })

  describe.skipIf(!existsSync(realDir))('real samples', () => {
    const expected = existsSync(realDir) ? JSON.parse(readFileSync(`${realDir}expect.json`, 'utf8')) : {}
    for (const [file, want] of Object.entries<{format: string; records?: number}>(expected)) {
      if (want.format !== parser.id) continue
      it(`matches expect.json for ${file}`, () => {
        const text = readFileSync(`${realDir}${file}`, 'utf8')
        expect(parser.detect(text.slice(0, 65536))).toBeGreaterThanOrEqual(0.8)
        expect(handles(parse(text))).toHaveLength(want.records!)
      })
    }
  })
})
