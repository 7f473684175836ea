import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {SummarySink} from '../../src/model/summary.js'
import {bufferSource} from '../../src/formats/shared/binary.js'
import {CollectingSink} from '../../src/formats/shared/collect.js'
import {detectKernelDump, KERNEL_DUMP_ANALYSIS, kernelDumpParser} from '../../src/formats/kernel-dump/index.js'
import {dumpFacts} from '../../src/report/facts.js'
import {renderInspect} from '../../src/report/inspect-text.js'
import {buildKernelHeader} from '../helpers/dump-writer.js'

const REASONS = ['junk', 'truncated', 'elision', 'ping', 'echo', 'malformed', 'too-long', 'binary']

async function read(bytes: Buffer) {
  const sink = new CollectingSink()
  await kernelDumpParser.binary!.read(bufferSource(bytes), sink, {path: 'MEMORY.DMP'})
  return sink.result
}

const CRASH = Date.UTC(2026, 0, 14, 7, 17, 3, 250)

describe('kernel dump header (built headers)', () => {
  it('reads a 64-bit kernel dump header: type, build, machine, processors, crash time, bug check', async () => {
    const r = await read(buildKernelHeader({bits: 64, build: 20348, dumpType: 2, processors: 16, time: CRASH, bugCheck: 0x133, params: [1n, 0x1e00n, 0xfffff80312345678n, 0n]}))
    expect(r.records).toEqual([])
    expect(r.skipped).toEqual([])
    expect(r.snapshots).toEqual([{line: 1, stamp: '2026-01-14T07:17:03.250Z', time: CRASH}])
    expect(r.notes).toEqual({
      view: 'kernel dump 64-bit',
      dumpType: 'kernel (summary)',
      osBuild: '20348',
      buildKind: 'free',
      machine: 'x64 (0x8664)',
      processors: '16',
      systemTime: '2026-01-14T07:17:03.250Z',
      bugCheck: '0x00000133 (0x1, 0x1e00, 0xfffff80312345678, 0x0)',
      analysis: KERNEL_DUMP_ANALYSIS,
    })
  })

  it('reads a 32-bit header at its own offsets', async () => {
    const r = await read(buildKernelHeader({bits: 32, build: 7601, dumpType: 1, processors: 2, time: CRASH, bugCheck: 0xd1, params: [0x10n, 2n, 0n, 0x8a0f1234n]}))
    expect(r.snapshots[0]!.time).toBe(CRASH)
    expect(r.notes).toMatchObject({
      view: 'kernel dump 32-bit',
      dumpType: 'full (complete memory dump)',
      osBuild: '7601',
      machine: 'x86 (0x14c)',
      processors: '2',
      bugCheck: '0x000000d1 (0x10, 0x2, 0x0, 0x8a0f1234)',
    })
  })

  it('says a memory-acquisition tool wrote the bug-check fields of a live capture', async () => {
    const mark = (s: string) => BigInt(Buffer.from(s.padEnd(8, '\0'), 'latin1').readBigUInt64LE(0))
    const r = await read(buildKernelHeader({bits: 64, dumpType: 1, bugCheck: Buffer.from('MATT', 'latin1').readUInt32LE(0), params: [mark('MOON'), mark('SOLS'), mark('MOON'), mark('SOLS')]}))
    expect(r.notes.bugCheck).toBe('not a crash: the bug-check fields hold text (MATT, MOON, SOLS), the marks a memory-acquisition tool (DumpIt) writes on a live capture')
  })

  it('reads a real stop code whose parameters hold a pool tag as a crash', async () => {
    const tag = BigInt(Buffer.from('Ntfs', 'latin1').readUInt32LE(0))
    const r = await read(buildKernelHeader({bits: 64, bugCheck: 0xc2, params: [7n, 0x1097n, tag, 0xffffc10f2d3e4000n]}))
    expect(r.notes.bugCheck).toBe('0x000000c2 (0x7, 0x1097, 0x7366744e, 0xffffc10f2d3e4000)')
  })

  it('names bitmap dumps by their second header', async () => {
    expect((await read(buildKernelHeader({bits: 64, dumpType: 6, bitmap: 'SDMP'}))).notes).toMatchObject({dumpType: 'bitmap kernel (kernel memory dump)', bitmapHeader: 'SDMP'})
    expect((await read(buildKernelHeader({bits: 64, dumpType: 5, bitmap: 'FDMP'}))).notes).toMatchObject({dumpType: 'bitmap full (complete memory dump)', bitmapHeader: 'FDMP'})
  })

  it('leaves out fields the writer filled with PAGE, and an unset time', async () => {
    const b = buildKernelHeader({bits: 64})
    for (const at of [0x34, 0xf98]) b.write('PAGE', at, 'latin1')
    const r = await read(b)
    expect(r.notes.processors).toBeUndefined()
    expect(r.notes.dumpType).toBeUndefined()
    expect(r.notes.systemTime).toBeUndefined()
    expect(r.snapshots).toEqual([{line: 1, stamp: null, time: null}])
  })

  it('leaves out values no dump writer sets, and names them once', async () => {
    // One damaged field: the rest of the header is still read.
    const one = await read(buildKernelHeader({bits: 64, processors: 70_000, time: CRASH}))
    expect(one.notes.processors).toBeUndefined()
    expect(one.notes).toMatchObject({osBuild: '20348', machine: 'x64 (0x8664)', systemTime: '2026-01-14T07:17:03.250Z'})
    expect(one.notes.bugCheck).toMatch(/^0x00000133/)
    expect(one.skipped).toEqual([{line: 1, reason: 'malformed', raw: 'kernel dump header: implausible processors 70000: damaged, or not a dump header; left out'}])
    // The signature and then seeded noise: no number of it is shown as a fact.
    for (const bits of [32, 64] as const) {
      const noise = Buffer.alloc(bits === 64 ? 0x3000 : 0x2000)
      let x = 0x2545f491
      for (let i = 0; i < noise.length; i++) noise[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24
      noise.write(bits === 64 ? 'PAGEDU64' : 'PAGEDUMP', 0, 'latin1')
      const r = await read(noise)
      expect(Object.keys(r.notes).sort()).toEqual(['analysis', 'view'])
      expect(r.snapshots).toEqual([{line: 1, stamp: null, time: null}])
      expect(r.skipped).toHaveLength(1)
      expect(r.skipped[0]!.raw).toMatch(/^kernel dump header: implausible major version 0x[0-9a-f]+, build \d+, .*machine 0x[0-9a-f]+, processors \d+: damaged/)
    }
  })

  it('reads what it can of a cut header and says it was cut', async () => {
    const r = await read(buildKernelHeader({bits: 64, time: CRASH}).subarray(0, 0x100))
    expect(r.skipped).toEqual([{line: 1, reason: 'truncated', raw: 'kernel dump header: 256 of 8192 bytes'}])
    expect(r.notes).toMatchObject({osBuild: '20348', processors: '8'})
    expect(r.notes.systemTime).toBeUndefined()
  })

  it('turns away a file without the signature', async () => {
    const r = await read(Buffer.from('PAGEPAGEPAGEPAGE'))
    expect(r.snapshots).toEqual([])
    expect(r.skipped).toEqual([{line: 1, reason: 'malformed', raw: 'kernel dump header: no PAGEDUMP/PAGEDU64 signature'}])
  })

  it('shows its notes and the commands a full analysis needs in inspect', async () => {
    const s = new SummarySink('MEMORY.DMP', 'kernel-dump')
    await kernelDumpParser.binary!.read(bufferSource(buildKernelHeader({bits: 64, time: CRASH})), s, {path: 'MEMORY.DMP'})
    const text = renderInspect([s.summary({encoding: 'binary', bytes: 12288, sha256: '', lines: 0})])
    expect(text).toContain('  osBuild: 20348\n')
    expect(text).toContain('windows.netscan')
    expect(text).toContain('!handle 0 0 0 File')
    expect(dumpFacts(s.summary({encoding: 'binary', bytes: 12288, sha256: '', lines: 0}))).toBe(
      `kernel (summary); build 20348; x64 (0x8664); at 2026-01-14T07:17:03.250Z; bug check 0x00000133 (0x1, 0x1e00, 0xfffff80312345678, 0x0); ${KERNEL_DUMP_ANALYSIS}`,
    )
    expect(KERNEL_DUMP_ANALYSIS).toMatch(/windows\.netscan.*windows\.handles.*windows\.pslist.*!process 0 1.*!handle 0 0 0 File/)
  })
})

describe('kernel dump properties', () => {
  const built = buildKernelHeader({bits: 64, time: CRASH})
  test.prop([fc.nat({max: built.length}), fc.array(fc.tuple(fc.nat(), fc.nat({max: 255})), {maxLength: 24}), fc.boolean()], {numRuns: 200})(
    'read never throws on cut and bit-flipped headers',
    async (cut, flips, small) => {
      const b = Buffer.from((small ? buildKernelHeader({bits: 32}) : built).subarray(0, cut))
      for (const [at, v] of flips) if (b.length > 8) b[8 + (at % (b.length - 8))] = v
      const r = await read(b)
      for (const s of r.skipped) expect(REASONS).toContain(s.reason)
      expect(r.snapshots.length).toBeLessThanOrEqual(1)
    },
  )

  test.prop([fc.uint8Array({maxLength: 64})], {numRuns: 300})('detectBytes is total and in [0, 1]', (bytes) => {
    const c = detectKernelDump(Buffer.from(bytes))
    expect(c === 0 || c === 1).toBe(true)
  })

  it('detects PAGEDUMP and PAGEDU64 only', () => {
    expect(detectKernelDump(Buffer.from('PAGEDUMP'))).toBe(1)
    expect(detectKernelDump(Buffer.from('PAGEDU64'))).toBe(1)
    expect(detectKernelDump(Buffer.from('PAGEPAGE'))).toBe(0)
    expect(detectKernelDump(Buffer.from('MDMP\x93\xa7\0\0'))).toBe(0)
  })
})

const REAL = fileURLToPath(new URL('../../../shared/corpus/real/dumps-binary/kernel-full-header-dumpit.dmp', import.meta.url))
const hasReal = existsSync(REAL)

describe('real kernel dump header (../shared/corpus/real/dumps-binary, facts from its SOURCES.md)', () => {
  it.skipIf(!hasReal)(`DumpIt complete memory dump of build 19045 ${hasReal ? '' : '(skipped: file missing)'}`, async () => {
    const r = await read(readFileSync(REAL))
    expect(r.snapshots[0]!.time).toBe(Date.parse('2024-10-12T12:57:59.711Z'))
    expect(r.notes).toMatchObject({osBuild: '19045', machine: 'x64 (0x8664)', processors: '4', dumpType: 'full (complete memory dump)'})
    expect(r.notes.bugCheck).toMatch(/^not a crash: .*MATT.*MOON.*SOLS/)
    expect(r.skipped).toEqual([])
  })
})
