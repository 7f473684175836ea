import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {accountedLines, type Collected, type CollectedRecord, parseText, splitLines} from '../../src/formats/shared/collect.js'
import {windbgHandleParser as parser} from '../../src/formats/windbg/handle.js'

type Handle = Extract<CollectedRecord, {kind: 'handle'}>
type Count = Extract<CollectedRecord, {kind: 'handleCount'}>

const fixture = (file: string) => readFileSync(new URL(`../../corpus/windbg-handle/${file}`, import.meta.url), 'utf8')
const realDir = fileURLToPath(new URL('../../../shared/corpus/real/', import.meta.url))
const handles = (c: Collected) => c.records.filter((r): r is Handle => r.kind === 'handle')
const counts = (c: Collected) => c.records.filter((r): r is Count => r.kind === 'handleCount')
const parse = (text: string) => {
  const c = parseText(parser, text)
  expect(accountedLines(c)).toBe(splitLines(text).lines.length)
  return c
}

describe('windbgHandleParser', () => {
  it('reads a kernel handle dump: owners from PROCESS blocks, table totals, types and names from object info', () => {
    const c = parse(fixture('kd-handle-file-afd.txt'))
    expect(counts(c).map((r) => [r.line, r.pid, r.process, r.total, r.afd, r.byType])).toEqual([
      [9, 4, 'System', 4211, null, null],
      [22, 4312, 'java.exe', 61842, null, null],
    ])
    expect(handles(c).map((r) => [r.line, r.pid, r.process, r.type, r.name, r.afd])).toEqual([
      [11, 4, 'System', 'File', '\\Device\\Tcp', false],
      [24, 4312, 'java.exe', 'File', '\\Program Files\\Java\\jre\\bin {HarddiskVolume2}', false],
      [30, 4312, 'java.exe', 'File', '\\Device\\Afd\\Endpoint', true],
      [36, 4312, 'java.exe', 'File', '\\Endpoint {Afd}', true],
      [42, 4312, 'java.exe', 'File', '\\Device\\Afd', true],
      [48, 4312, 'java.exe', 'File', '\\Device\\Nsi', false],
    ])
    expect(c.skipped.map((s) => [s.line, s.reason])).toEqual([[1, 'echo'], [54, 'elision'], [55, 'junk'], [56, 'echo']])
    expect(c.notes).toEqual({view: 'kd'})
  })

  it('reads XP handle tables with free entries and entries without object info', () => {
    const c = parse(fixture('kd-handle-xp-free.txt'))
    expect(counts(c)).toMatchObject([{pid: 0xd68, process: 'beacon.exe', total: 912, line: 7}])
    expect(handles(c).map((r) => [r.line, r.type, r.name, r.afd])).toEqual([
      [9, 'KeyedEvent', 'CritSecOutOfMemoryEvent', false],
      [15, 'File', '\\Endpoint {Afd}', true],
      [21, '', '', false],
    ])
  })

  it('reads user-mode `!handle`: the `|` target, type lines, the Type/Count summary and `f` detail', () => {
    const c = parse(fixture('user-handle-dump-mh.txt'))
    expect(counts(c)).toEqual([
      {
        kind: 'handleCount', snapshot: -1, pid: 4312, process: 'java.exe', total: 377, afd: null, line: 21,
        byType: {None: 26, Event: 74, Section: 5, File: 87, Directory: 2, 'ALPC Port': 9, WaitCompletionPacket: 4},
      },
    ])
    const rows = handles(c)
    expect(rows.map((r) => r.type)).toEqual(['Directory', 'File', 'File', 'File', 'Event', 'ALPC Port', '', 'Thread', 'File', 'File', 'Event'])
    expect(rows.slice(8).map((r) => [r.line, r.name, r.afd])).toEqual([
      [32, '\\Device\\Afd', true],
      [43, '\\Device\\Afd\\Endpoint', true],
      [54, '', false],
    ])
    expect(rows.every((r) => r.pid === 4312)).toBe(true)
    expect(c.skipped.find((s) => s.line === 18)?.reason).toBe('elision')
    expect(c.notes).toEqual({view: 'user'})
  })

  it('gives handles without a process context pid -1', () => {
    const c = parse('0008: Object: 81c1e2a8  GrantedAccess: 001f01ff\nObject: 81c1e2a8  Type: (823b0e70) File\n')
    expect(handles(c)).toMatchObject([{pid: -1, process: null, type: 'File', name: '', line: 1}])
  })

  it('detects `!handle` output, kernel and user mode, but not `!process` or handle.exe', () => {
    for (const f of ['kd-handle-file-afd.txt', 'kd-handle-xp-free.txt', 'user-handle-dump-mh.txt']) {
      expect(parser.detect(fixture(f))).toBeGreaterThanOrEqual(0.8)
    }
    const processDump = readFileSync(new URL('../../corpus/windbg-process/kd-process-0-0-java-leak.txt', import.meta.url), 'utf8')
    expect(parser.detect(processDump)).toBeLessThan(0.5)
    expect(parser.detect('Handle v5.0\nCopyright (C) 1997-2022 Mark Russinovich\n\n  24C: File  (RW-)   \\Device\\Afd\n')).toBe(0)
  })

  describe.skipIf(!existsSync(realDir))('real samples', () => {
    it('reads the documentation sample of user-mode `!handle`', () => {
      const text = readFileSync(`${realDir}dumps/windbg-handle-usermode-docs.txt`, 'utf8')
      expect(parser.detect(text)).toBeGreaterThanOrEqual(0.8)
      const c = parse(text)
      expect(handles(c)).toHaveLength(7)
      expect(counts(c)).toMatchObject([{total: 6, byType: {Event: 3, Section: 1, File: 1, Directory: 1}}])
    })
  })
})
