import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {accountedLines, type Collected, type CollectedRecord, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {volatilityPslistParser as parser} from '../../src/formats/volatility/pslist.js'

type Proc = Extract<CollectedRecord, {kind: 'process'}>

const fixture = (file: string) => readFileSync(new URL(`../../corpus/volatility-pslist/${file}`, import.meta.url), 'utf8')
const realDir = fileURLToPath(new URL('../../../shared/corpus/real/', import.meta.url))
const procs = (c: Collected) => c.records.filter((r): r is Proc => r.kind === 'process')
const parse = (text: string) => {
  const c = parseText(parser, text)
  expect(accountedLines(c)).toBe(splitLines(text).lines.length)
  return c
}
const strip = ({line, snapshot, kind, ...rest}: Proc) => rest
const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number) => Date.UTC(y, mo - 1, d, h, mi, s)

describe('volatilityPslistParser', () => {
  it('reads a Volatility 3 pslist: handles, threads, times, `-` for unreadable handle tables', () => {
    const c = parse(fixture('vol3-pslist.txt'))
    const rows = procs(c)
    expect(rows).toHaveLength(9)
    expect(strip(rows[5]!)).toEqual({
      pid: 4312, name: 'java.exe', ppid: 768, handles: 61842, threads: 187, created: utc(2025, 2, 8, 3, 12, 5), exited: null,
    })
    expect(rows[6]).toMatchObject({pid: 5120, handles: null, threads: 0, exited: utc(2025, 2, 11, 10, 14, 10)})
    expect(rows[7]).toMatchObject({pid: 6016, handles: null, threads: 9})
    expect(rows[0]?.line).toBe(6)
    expect(c.notes).toEqual({view: 'vol3-text', plugin: 'pslist'})
  })

  it('strips pstree `*` prefixes and reads old builds whose times end in a space', () => {
    const c = parse(fixture('vol3-pstree-2.0.txt'))
    expect(procs(c).map((r) => [r.pid, r.ppid, r.name])).toEqual([
      [4, 0, 'System'],
      [412, 4, 'smss.exe'],
      [768, 636, 'services.exe'],
      [4312, 768, 'java.exe'],
      [7344, 4312, 'WerFault.exe'],
      [5120, 4312, 'cmd.exe'],
    ])
    expect(procs(c)[5]).toMatchObject({created: utc(2025, 2, 11, 10, 14, 9), exited: utc(2025, 2, 11, 10, 14, 10)})
    expect(c.notes.plugin).toBe('pstree')
  })

  it('reads -r csv with quoted command lines, doubled quotes and a command line spanning two lines', () => {
    const c = parse(fixture('vol3-psscan.csv'))
    const rows = procs(c)
    expect(rows.map((r) => [r.pid, r.ppid, r.name, r.handles, r.line])).toEqual([
      [4, 0, 'System', 507, 2],
      [412, 4, 'smss.exe', 53, 3],
      [636, 620, 'csrss.exe', 587, 4],
      [4312, 768, 'java.exe', 61842, 5],
      [6204, 4312, 'powershell.exe', null, 6],
      [3316, 1408, 'MagnetRAMCaptu', 296, 8],
    ])
    expect(rows[4]?.exited).toBe(utc(2025, 2, 11, 9, 44, 31))
    expect(c.structureLines).toBe(3) // header, continuation of the quoted command line, trailing blank
    expect(c.skipped).toEqual([])
  })

  it('reads -r json and -r jsonl trees with __children', () => {
    const json = parse(fixture('vol3-pstree.json'))
    const want = [
      [4, 0, 'System'],
      [412, 4, 'smss.exe'],
      [636, 620, 'csrss.exe'],
      [768, 636, 'services.exe'],
      [4312, 768, 'java.exe'],
      [6204, 4312, 'powershell.exe'],
    ]
    expect(procs(json).map((r) => [r.pid, r.ppid, r.name])).toEqual(want)
    expect(procs(json)[5]).toMatchObject({handles: null, threads: 11, exited: utc(2025, 2, 11, 9, 44, 31)})
    expect(new Set(procs(json).map((r) => r.line)).size).toBe(6)
    const jsonl = parse(fixture('vol3-pstree.jsonl'))
    expect(procs(jsonl).map((r) => [r.pid, r.ppid, r.name])).toEqual(want)
    // A JSONL line holds a whole tree: its descendants share its line.
    expect(procs(jsonl).map((r) => r.line)).toEqual([1, 1, 2, 3, 3, 3])
    expect(procs(jsonl).map(strip)).toEqual(procs(json).map(strip))
  })

  it('reads Volatility 2 pslist: dashes for exited processes, names with spaces, a cut-off last row', () => {
    const c = parse(fixture('vol2-pslist-win7sp1x64.txt'))
    const rows = procs(c)
    expect(rows.map((r) => [r.pid, r.name, r.threads, r.handles])).toEqual([
      [4, 'System', 96, 612],
      [260, 'smss.exe', 2, 30],
      [348, 'csrss.exe', 9, 520],
      [4312, 'java.exe', 187, 61842],
      [5120, 'cmd.exe', 0, null],
      [1636, 'Quick Heal Agen', 14, 311],
      [7344, 'WerFault.exe', 4, 112],
    ])
    expect(rows[4]).toMatchObject({created: utc(2025, 2, 11, 10, 14, 9), exited: utc(2025, 2, 11, 10, 14, 10)})
    expect(rows[0]).toMatchObject({created: utc(2025, 2, 8, 3, 11, 52), exited: null, ppid: 0})
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[1, 'echo'], [3, 'junk'], [13, 'truncated']])
  })

  it('reads Volatility 2 psscan and pstree', () => {
    const c = parse(fixture('vol2-psscan-pstree-xp.txt'))
    expect(procs(c).map((r) => [r.pid, r.ppid, r.name, r.threads, r.handles])).toEqual([
      [1012, 676, 'svchost.exe', null, null],
      [2004, 1484, 'cmd.exe', null, null],
      [440, 1012, 'wuauclt.exe', null, null],
      [4, 0, 'System', 58, 476],
      [544, 4, 'smss.exe', 3, 21],
      [632, 544, 'winlogon.exe', 24, 536],
      [676, 632, 'services.exe', 16, 288],
      [1012, 676, 'svchost.exe', 83, 1525],
    ])
    expect(procs(c)[1]).toMatchObject({created: utc(2010, 10, 29, 17, 12, 3), exited: utc(2010, 10, 29, 17, 12, 5)})
    expect(c.skipped.at(-1)?.reason).toBe('elision')
  })

  it('detects its renderings and not the other Volatility tables', () => {
    for (const f of ['vol3-pslist.txt', 'vol3-psscan.csv', 'vol3-pstree.json', 'vol2-pslist-win7sp1x64.txt', 'vol2-psscan-pstree-xp.txt']) {
      expect(parser.detect(fixture(f))).toBeGreaterThanOrEqual(0.8)
    }
    expect(parser.detect('PID\tProcess\tOffset\tHandleValue\tType\tGrantedAccess\tName\n')).toBeLessThan(0.5)
    expect(parser.detect('Handles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName\n')).toBe(0)
  })

  describe.skipIf(!existsSync(realDir))('real samples', () => {
    const expected = existsSync(realDir) ? JSON.parse(readFileSync(`${realDir}expect.json`, 'utf8')) : {}
    for (const [file, want] of Object.entries<{format: string; records?: number}>(expected)) {
      if (want.format !== parser.id) continue
      it(`matches expect.json for ${file}`, () => {
        const text = readFileSync(`${realDir}${file}`, 'utf8')
        expect(parser.detect(text.slice(0, 65536))).toBeGreaterThanOrEqual(0.8)
        expect(procs(parse(text))).toHaveLength(want.records!)
      })
    }
  })
})
