import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {accountedLines, type Collected, type CollectedRecord, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {windbgProcessParser as parser} from '../../src/formats/windbg/process.js'

type Proc = Extract<CollectedRecord, {kind: 'process'}>

const fixture = (file: string) => readFileSync(new URL(`../../corpus/windbg-process/${file}`, import.meta.url), 'utf8')
const realDir = fileURLToPath(new URL('../../../shared/corpus/real/', import.meta.url))
const procs = (c: Collected) => c.records.filter((r): r is Proc => r.kind === 'process')
const parse = (text: string) => {
  const c = parseText(parser, text)
  expect(accountedLines(c)).toBe(splitLines(text).lines.length)
  return c
}

describe('windbgProcessParser', () => {
  it('reads `!process 0 0` blocks: hex Cid/ParentCid, decimal HandleCount, <Data Not Accessible>', () => {
    const c = parse(fixture('kd-process-0-0-java-leak.txt'))
    expect(procs(c).map((r) => [r.line, r.pid, r.ppid, r.name, r.handles])).toEqual([
      [11, 4, 0, 'System', 4211],
      [16, 108, 4, 'Registry', 0],
      [21, 412, 4, 'smss.exe', 53],
      [26, 912, 768, 'svchost.exe', 1391],
      [31, 4312, 768, 'java.exe', 61842],
      [38, 5120, 4312, 'cmd.exe', 0],
      [43, 7344, 4312, 'WerFault.exe', null],
      [48, 10812, 3624, 'StartMenuExperienceHost.exe', 639],
    ])
    expect(procs(c).every((r) => r.threads === null && r.created === null && r.exited === null)).toBe(true)
    const reasons = c.skipped.map((s) => s.reason)
    expect(reasons.filter((r) => r === 'junk')).toHaveLength(6) // the debugger's banner
    expect(c.skipped.filter((s) => s.reason !== 'junk').map((s) => [s.line, s.reason])).toEqual([
      [9, 'echo'],
      [36, 'elision'],
      [53, 'echo'],
    ])
    expect(c.notes).toEqual({view: 'kd'})
    expect(c.snapshots).toEqual([])
  })

  it('counts the threads of `!process 0 7` and keeps thread lines as structure', () => {
    const c = parse(fixture('kd-process-0-7-threads.txt'))
    expect(procs(c).map((r) => [r.line, r.pid, r.name, r.handles, r.threads])).toEqual([
      [2, 4312, 'java.exe', 61842, 3],
      [50, 5120, 'cmd.exe', 0, 0],
    ])
    expect(c.skipped.map((s) => s.reason)).toEqual(['echo', 'echo'])
  })

  it('reads XP one-line PROCESS headers and NT4 TableSize', () => {
    const c = parse(fixture('kd-process-legacy-xp-nt4.txt'))
    expect(procs(c).map((r) => [r.pid, r.ppid, r.name, r.handles])).toEqual([
      [4, 0, 'System', 476],
      [544, 4, 'smss.exe', 21],
      [2004, 1484, 'svchost.exe', 5123],
      [3432, 2004, 'beacon.exe', 912],
      [2, 0, 'System', 150],
      [18, 2, 'smss.exe', 30],
    ])
  })

  it('skips a block without a Cid as malformed and emits a block cut off by the end of input', () => {
    const text = 'PROCESS ffffc40f8e1b7080\n    DirBase: 3f1e4002\n\nPROCESS ffffc40f8e1b9080\n    SessionId: 0  Cid: 1a2c    Peb: 00b2e000  ParentCid: 0300\n    DirBase: 3f1e4002  Objec'
    const c = parse(text)
    expect(procs(c).map((r) => [r.line, r.pid, r.ppid, r.name, r.handles])).toEqual([[4, 6700, 768, null, null]])
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[1, 'malformed']])
  })

  it('detects `!process` output but not `!handle` dumps or Volatility tables', () => {
    expect(parser.detect(fixture('kd-process-0-7-threads.txt'))).toBeGreaterThanOrEqual(0.8)
    expect(parser.detect(fixture('kd-process-legacy-xp-nt4.txt'))).toBeGreaterThanOrEqual(0.8)
    const handleDump = readFileSync(new URL('../../corpus/windbg-handle/kd-handle-file-afd.txt', import.meta.url), 'utf8')
    expect(parser.detect(handleDump)).toBeLessThan(0.5)
    expect(parser.detect('PID\tPPID\tImageFileName\tOffset(V)\tThreads\tHandles\n')).toBe(0)
  })

  describe.skipIf(!existsSync(realDir))('real samples', () => {
    it('reads the Windows 10 kd sample: 85 blocks, hex Cids', () => {
      const text = readFileSync(`${realDir}dumps/kd-process-0-0-win10.txt`, 'utf8')
      expect(parser.detect(text)).toBeGreaterThanOrEqual(0.8)
      const rows = procs(parse(text))
      expect(rows).toHaveLength(85)
      expect(rows.find((r) => r.name === 'smss.exe')).toMatchObject({pid: 0x168, ppid: 4, handles: 53})
    })
  })
})
