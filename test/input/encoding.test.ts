import iconv from 'iconv-lite'
import {describe, expect, it} from 'vitest'

import {createDecoder, isKnownEncoding, normalizeEncoding, sniffEncoding} from '../../src/input/encoding.js'

const EN =
  '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n' +
  '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1712\r\n' +
  '  TCP    10.0.0.5:49822         10.0.0.9:443           ESTABLISHED     4312\r\n'
const DE =
  '\r\nAktive Verbindungen\r\n\r\n  Proto  Lokale Adresse         Remoteadresse          Status           PID\r\n' +
  '  TCP    0.0.0.0:135            0.0.0.0:0              ABHÖREN         880\r\n' +
  '  TCP    10.0.0.5:49822         10.0.0.9:443           HERGESTELLT     5120\r\n'
const RU =
  '\r\nАктивные подключения\r\n\r\n  Имя    Локальный адрес        Внешний адрес          Состояние       PID\r\n' +
  '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1012\r\n'
const JA =
  '\r\nアクティブな接続\r\n\r\n  プロトコル  ローカル アドレス      外部アドレス           状態            PID\r\n' +
  '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1012\r\n'
const ZH =
  '\r\n活动连接\r\n\r\n  协议  本地地址          外部地址        状态           PID\r\n' +
  '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1012\r\n'

const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16()

/** Decodes `bytes` written in pieces cut at `cuts`, the way a stream would deliver them. */
function decodeInPieces(encoding: string, bytes: Buffer, cuts: readonly number[]): string {
  const d = createDecoder(encoding)
  let out = ''
  let at = 0
  for (const c of [...cuts, bytes.length]) {
    out += d.write(bytes.subarray(at, c))
    at = c
  }
  return out + d.end()
}

/** Every single cut position gives the same text as one write. */
function expectEveryCutKeepsText(encoding: string, bytes: Buffer, text: string): void {
  for (let cut = 0; cut <= bytes.length; cut++) expect(decodeInPieces(encoding, bytes, [cut]), `cut at ${cut}`).toBe(text)
}

describe('sniffEncoding', () => {
  it('reads a UTF-8 BOM and reports its length', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(DE, 'utf8')])
    expect(sniffEncoding(bytes)).toEqual({encoding: 'utf-8', bomLength: 3})
  })

  it('takes BOM-less bytes that are valid UTF-8 as UTF-8', () => {
    expect(sniffEncoding(Buffer.from(DE, 'utf8'))).toEqual({encoding: 'utf-8', bomLength: 0})
    expect(sniffEncoding(Buffer.from(EN, 'utf8'))).toEqual({encoding: 'utf-8', bomLength: 0})
  })

  it('accepts UTF-8 cut in the middle of a character at the end of the sample', () => {
    const bytes = Buffer.from(`${EN}  TCP    0.0.0.0:135  0.0.0.0:0  ABHÖ`, 'utf8')
    expect(sniffEncoding(bytes.subarray(0, bytes.length - 1))).toEqual({encoding: 'utf-8', bomLength: 0})
  })

  it('reads UTF-16LE and UTF-16BE byte order marks', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(EN, 'utf16le')])
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(EN)])
    expect(sniffEncoding(le)).toEqual({encoding: 'utf-16le', bomLength: 2})
    expect(sniffEncoding(be)).toEqual({encoding: 'utf-16be', bomLength: 2})
  })

  it('recognises BOM-less UTF-16 by where the NUL bytes are', () => {
    expect(sniffEncoding(Buffer.from(EN, 'utf16le'))).toEqual({encoding: 'utf-16le', bomLength: 0})
    expect(sniffEncoding(utf16be(EN))).toEqual({encoding: 'utf-16be', bomLength: 0})
    expect(sniffEncoding(Buffer.from(DE, 'utf16le'))).toEqual({encoding: 'utf-16le', bomLength: 0})
  })

  it('detects a German cp850 netstat by ABHÖREN written as byte 0x99 and decodes it back', () => {
    const bytes = iconv.encode(DE, 'cp850')
    expect(bytes.includes(Buffer.from('ABH\x99REN', 'latin1'))).toBe(true)
    const sniffed = sniffEncoding(bytes)
    expect(sniffed).toEqual({encoding: 'cp850', bomLength: 0})
    const d = createDecoder(sniffed.encoding)
    expect(d.write(bytes) + d.end()).toBe(DE)
  })

  it('picks cp850 from the state word alone, without the German title', () => {
    const rows = '  TCP    0.0.0.0:135            0.0.0.0:0              ABHÖREN         880\r\n'.repeat(3)
    expect(sniffEncoding(iconv.encode(rows, 'cp850')).encoding).toBe('cp850')
  })

  it('tells a cp1252 (ANSI) German file from a cp850 (OEM) one', () => {
    expect(sniffEncoding(iconv.encode(DE, 'cp1252')).encoding).toBe('cp1252')
  })

  it('detects a Russian cp866 header', () => {
    const bytes = iconv.encode(RU, 'cp866')
    expect(sniffEncoding(bytes).encoding).toBe('cp866')
    expect(iconv.decode(bytes, sniffEncoding(bytes).encoding)).toBe(RU)
  })

  it('detects a Japanese cp932 header (アクティブな接続)', () => {
    const bytes = iconv.encode(JA, 'cp932')
    expect(sniffEncoding(bytes).encoding).toBe('cp932')
    const d = createDecoder('cp932')
    expect(d.write(bytes) + d.end()).toBe(JA)
  })

  it('detects a Chinese cp936 header (活动连接)', () => {
    const bytes = iconv.encode(ZH, 'cp936')
    expect(sniffEncoding(bytes).encoding).toBe('cp936')
    const d = createDecoder('cp936')
    expect(d.write(bytes) + d.end()).toBe(ZH)
  })

  it('never throws on short or empty samples', () => {
    expect(sniffEncoding(Buffer.alloc(0)).encoding).toBe('utf-8')
    expect(() => sniffEncoding(Buffer.from([0xff]))).not.toThrow()
    expect(() => sniffEncoding(Buffer.from([0x00]))).not.toThrow()
  })
})

describe('normalizeEncoding', () => {
  it('maps the spellings users type onto the names the decoders know', () => {
    expect(normalizeEncoding('UTF8')).toBe('utf-8')
    expect(normalizeEncoding('UCS-2')).toBe('utf-16le')
    expect(normalizeEncoding('windows-1252')).toBe('cp1252')
    expect(normalizeEncoding('IBM850')).toBe('cp850')
    expect(isKnownEncoding('cp932')).toBe(true)
    expect(isKnownEncoding('klingon-1')).toBe(false)
  })
})

describe('createDecoder', () => {
  it('keeps a UTF-8 three-byte character split across chunks', () => {
    const text = 'Größe 1 € TIME_WAIT\r\n'
    const bytes = Buffer.from(text, 'utf8')
    const euro = bytes.indexOf(Buffer.from('€', 'utf8'))
    expect(decodeInPieces('utf-8', bytes, [euro + 1])).toBe(text)
    expect(decodeInPieces('utf-8', bytes, [euro + 2])).toBe(text)
    expect(decodeInPieces('utf-8', bytes, [euro + 1, euro + 2])).toBe(text)
    expectEveryCutKeepsText('utf-8', bytes, text)
  })

  it('keeps a UTF-16LE code unit split between chunks', () => {
    const bytes = Buffer.from(DE, 'utf16le')
    expect(decodeInPieces('utf-16le', bytes, [1, 2, 7, 8, 9])).toBe(DE)
    expectEveryCutKeepsText('utf-16le', bytes, DE)
  })

  it('keeps a UTF-16BE code unit split between chunks', () => {
    const bytes = utf16be(DE)
    expect(decodeInPieces('utf-16be', bytes, [1, 3, 5, 6])).toBe(DE)
    expectEveryCutKeepsText('utf-16be', bytes, DE)
  })

  it('keeps a surrogate pair split between its two halves and inside each half', () => {
    const text = 'host 🖥 name\r\n'
    const le = Buffer.from(text, 'utf16le')
    const at = le.indexOf(Buffer.from('🖥', 'utf16le'))
    for (const cut of [at + 1, at + 2, at + 3]) expect(decodeInPieces('utf-16le', le, [cut])).toBe(text)
    expect(decodeInPieces('utf-16le', le, [at + 1, at + 2, at + 3])).toBe(text)
    const be = utf16be(text)
    for (const cut of [at + 1, at + 2, at + 3]) expect(decodeInPieces('utf-16be', be, [cut])).toBe(text)
    expectEveryCutKeepsText('utf-16be', be, text)
  })

  it('keeps a cp932 double-byte character split after its lead byte', () => {
    const bytes = iconv.encode(JA, 'cp932')
    const lead = bytes.indexOf(iconv.encode('ア', 'cp932'))
    expect(bytes[lead]).toBeGreaterThanOrEqual(0x81)
    expect(decodeInPieces('cp932', bytes, [lead + 1])).toBe(JA)
    expectEveryCutKeepsText('cp932', bytes, JA)
  })

  it('keeps a cp936 double-byte character split after its lead byte', () => {
    const bytes = iconv.encode(ZH, 'cp936')
    expectEveryCutKeepsText('cp936', bytes, ZH)
  })

  it('decodes single-byte code pages identically in any chunking', () => {
    expectEveryCutKeepsText('cp850', iconv.encode(DE, 'cp850'), DE)
    expectEveryCutKeepsText('cp866', iconv.encode(RU, 'cp866'), RU)
  })

  it('accepts the names --encoding users type (windows-1252, UTF8)', () => {
    const d = createDecoder('windows-1252')
    expect(d.write(iconv.encode('ABHÖREN', 'cp1252')) + d.end()).toBe('ABHÖREN')
    const u = createDecoder('UTF8')
    expect(u.write(Buffer.from('Größe', 'utf8')) + u.end()).toBe('Größe')
  })
})
