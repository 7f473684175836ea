import {readdirSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {DEFAULT_ARCHIVE_LIMITS} from '../../src/input/archive.js'
import {ingest} from '../../src/input/ingest.js'
import {inspectInputs, runAnalysis} from '../../src/pipeline.js'
import {zipBuffer} from '../helpers/zip.js'
import {inspectPieces, netstat, snapshot, tempTree} from './helpers.js'

const BAD = fileURLToPath(new URL('../../corpus/bad/', import.meta.url))
const limits = (o: Partial<typeof DEFAULT_ARCHIVE_LIMITS>) => ({...DEFAULT_ARCHIVE_LIMITS, ...o})

describe('thousands of tiny zip entries', () => {
  const count = 3000
  const p2 = (n: number) => String(n).padStart(2, '0')
  const entries = Array.from({length: count}, (_, i) => ({
    name: `loop/${String(i).padStart(4, '0')}.txt`,
    data: snapshot(`2023-03-14 ${p2(10 + Math.floor(i / 3600))}:${p2(Math.floor(i / 60) % 60)}:${p2(i % 60)}.00`, 1),
  }))

  let zip: Promise<Buffer> | undefined
  const bigZip = () => (zip ??= zipBuffer(entries))

  it('reads every entry under the default limits, in path order', async () => {
    const dir = tempTree({'upload.zip': await bigZip()})
    const inputs = (await inspectInputs([dir], {})).inputs
    expect(inputs).toHaveLength(count)
    expect(inputs.every((s) => s.format === 'netstat' && s.records === 1 && s.error === null)).toBe(true)
    expect(inputs.map((s) => s.path.slice(s.path.indexOf('!') + 1))).toEqual(entries.map((e) => e.name))
  })

  it('stops at maxEntries and says so on the archive, naming the limit', async () => {
    const dir = tempTree({'upload.zip': await bigZip()})
    const inputs = await ingest([dir], {limits: limits({maxEntries: 1000})}, () => null)
    const archive = inputs.filter((s) => s.format === null)
    const error = 'more than 1000 entries; the rest were not read'
    expect(archive).toEqual([expect.objectContaining({path: `${dir}/upload.zip`, error})])
    expect(inputs.filter((s) => s.format === 'netstat')).toHaveLength(1000)
  })

  it('analyzes 300 one-snapshot entries as one 300-snapshot timeline', async () => {
    const dir = tempTree({'upload.zip': await zipBuffer(entries.slice(0, 300))})
    const analysis = await runAnalysis([dir], {})
    expect(analysis.document.snapshots).toBe(300)
    expect(analysis.document.inputs.every((s) => s.error === null)).toBe(true)
  })
})

describe('nested archives', () => {
  it('reads one level of zip inside zip and refuses the next level with a message naming it', async () => {
    const inputs = (await inspectInputs([`${BAD}nested-three-levels.zip`], {})).inputs
    const rel = inputs.map((s) => [s.path.slice(BAD.length), s.format, s.records, s.error])
    expect(rel).toEqual([
      ['nested-three-levels.zip!middle.zip!deeper.zip', null, 0, 'archive nested more than one level deep; not read'],
      ['nested-three-levels.zip!middle.zip!netstat-mid.txt', 'netstat', 2, null],
      ['nested-three-levels.zip!netstat-top.txt', 'netstat', 1, null],
    ])
  })

  it('refuses a zip inside a gzip inside a zip as nested too deep', async () => {
    const inner = await zipBuffer([{name: 'netstat.txt', data: netstat(2)}])
    const dir = tempTree({'upload.zip': await zipBuffer([{name: 'logs.zip.gz', data: gzipSync(inner)}])})
    const [s] = (await inspectInputs([dir], {})).inputs
    expect(s).toMatchObject({
      path: `${dir}/upload.zip!logs.zip.gz`,
      format: null,
      error: 'archive nested more than one level deep; not read',
    })
  })

  it('reads gzip-in-gzip and names the input by the outer file', async () => {
    const dir = tempTree({'netstat.txt.gz.gz': gzipSync(gzipSync(netstat(4)))})
    const [s] = (await inspectInputs([dir], {})).inputs
    expect(s).toMatchObject({path: `${dir}/netstat.txt.gz.gz`, format: 'netstat', records: 4, error: null})
  })

  // Regression (was a bug in src/input/ingest.ts ingestSource, the isGzip branch): gzip layers are not depth-checked.
  it('bounds gzip layers like zip layers', async () => {
    let bytes = Buffer.from(netstat(4))
    for (let i = 0; i < 20; i++) bytes = gzipSync(bytes)
    const dir = tempTree({'deep.gz': bytes})
    const [s] = (await inspectInputs([dir], {})).inputs
    expect(s!.error).toMatch(/nested/)
  })

  // Regression (was a bug in src/input/ingest.ts, isGzip branch): no ratio or total cap on gzip, only on zip entries.
  it('applies the decompressed-size caps to gzip', async () => {
    const bomb = gzipSync(Buffer.from(netstat(1).repeat(20_000)))
    expect(bomb.length).toBeLessThan(64 * 1024)
    const dir = tempTree({'netstat.txt.gz': bomb})
    const [s] = await ingest([dir], {limits: limits({maxTotalBytes: 1024 * 1024, maxEntryBytes: 1024 * 1024})}, () => null)
    expect(s!.bytes).toBeLessThanOrEqual(1024 * 1024)
    expect(s!.error).toMatch(/limit|bomb/)
  })
})

describe('damaged archives keep what was read', () => {
  // Regression (was a bug in src/input/ingest.ts ingestSource: a read error in reader.head() discards the bytes read):
  // a gzip cut before 64 KiB of text loses every row although most of them decompress fine.
  it('keeps the rows of a truncated gzip read before the cut', async () => {
    const [s] = (await inspectInputs([`${BAD}truncated.gz`], {})).inputs
    expect(s).toMatchObject({format: 'netstat', error: expect.stringMatching(/partial/)})
    expect(s!.records).toBeGreaterThan(50)
  })

  // Regression (was a bug: gunzip piped from the chunk reader; found by `npm run fuzz`, seed 5
  // case 676): when the compressed bytes end early, how much of the text is read before the zlib error
  // depends on how the compressed bytes were chunked (here 1 chunk: 74,828 bytes; 2 chunks: 65,536).
  it('reads as much of a truncated gzip however its bytes arrive', async () => {
    const gz = gzipSync(netstat(2000))
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6))
    const whole = await inspectPieces([cut])
    expect(whole).toMatchObject({format: 'netstat', error: expect.stringMatching(/partial/)})
    expect(await inspectPieces([cut.subarray(0, 100), cut.subarray(100)])).toEqual(whole)
  })

  // Regression (was a bug in gunzipAll: found by `npm run fuzz`, seed 497049196 case 29708): zlib drops
  // what it decoded from the write in which it meets a damaged block, so how much was read depended on
  // how the compressed bytes were chunked (one chunk: nothing; several: the rows before the damage).
  const damaged = (rows: number) => {
    const gz = Buffer.from(gzipSync(netstat(rows)))
    const at = Math.floor(gz.length * 0.7)
    gz[at] = gz[at]! ^ 0xff
    gz[at + 1] = gz[at + 1]! ^ 0x5a
    return {gz, at}
  }
  const splits = (gz: Buffer, at: number) => [
    ...[1, 100, at - 3].map((cut) => [gz.subarray(0, cut), gz.subarray(cut)]),
    Array.from({length: Math.ceil(gz.length / 777)}, (_, i) => gz.subarray(i * 777, (i + 1) * 777)),
  ]

  it('reads a small damaged gzip the same however its bytes arrive', async () => {
    const {gz, at} = damaged(40)
    const whole = await inspectPieces([gz])
    expect(whole).toMatchObject({error: expect.stringMatching(/^compressed data is damaged/)})
    for (const pieces of splits(gz, at)) expect(await inspectPieces(pieces)).toEqual(whole)
  })

  it('keeps the rows of a damaged gzip decoded before the damage, however its bytes arrive', async () => {
    const {gz, at} = damaged(3000)
    const whole = await inspectPieces([gz])
    expect(whole).toMatchObject({format: 'netstat', error: 'compressed data is damaged; results are partial'})
    expect(whole.records).toBeGreaterThan(1000)
    for (const pieces of [...splits(gz, at), [gz.subarray(0, 16_383), gz.subarray(16_383)]]) expect(await inspectPieces(pieces)).toEqual(whole)
  })

  it('says in one line that a gzip ends early, and keeps what was read', async () => {
    const [s] = (await inspectInputs([`${BAD}truncated.gz`], {})).inputs
    expect(s).toMatchObject({format: 'netstat', error: expect.stringMatching(/^[^\n]*ends early[^\n]*partial$/)})
    expect(s!.records).toBeGreaterThan(100)
  })

  it('lists entries that share one name as separate inputs', async () => {
    const inputs = (await inspectInputs([`${BAD}duplicate-names.zip`], {})).inputs
    expect(inputs.map((s) => [s.path.slice(BAD.length), s.records])).toEqual([
      ['duplicate-names.zip!netstat.txt', 2],
      ['duplicate-names.zip!netstat.txt#2', 5],
    ])
  })

  // Regression (was a known bug): entries sharing one name kept their archive order, so the same entries
  // stored in another order gave inputs[] in another order.
  it('orders entries that share one name the same whatever their order in the archive', async () => {
    const a = netstat(2)
    const b = netstat(5, 51000)
    const one = tempTree({'up.zip': await zipBuffer([{name: 'n.txt', data: a}, {name: 'n.txt', data: b}])})
    const two = tempTree({'up.zip': await zipBuffer([{name: 'n.txt', data: b}, {name: 'n.txt', data: a}])})
    const records = async (dir: string) => (await inspectInputs([dir], {})).inputs.map((s) => s.records)
    expect(await records(one)).toEqual(await records(two))
  })

  it('never writes an entry to the file system', async () => {
    const dir = tempTree({})
    const before = readdirSync(BAD)
    await inspectInputs([`${BAD}traversal-names.zip`], {})
    expect(readdirSync(BAD)).toEqual(before)
    expect(readdirSync(dir)).toEqual([])
  })
})
