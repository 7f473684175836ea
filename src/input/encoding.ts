import {StringDecoder} from 'node:string_decoder'

import type Iconv from 'iconv-lite'

import {lazy} from '../lazy.js'

const iconv = lazy<typeof Iconv>('iconv-lite')

/** Encodings we name in output (`inputs[].encoding`). Code pages are iconv-lite names (`cp850`). */
export type EncodingName = string

export type Sniffed = {encoding: EncodingName; bomLength: number}

/** Encodings `--encoding` accepts besides every iconv-lite code page. */
export const NATIVE_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'latin1'] as const

export function isKnownEncoding(name: string): boolean {
  const n = normalizeEncoding(name)
  return (NATIVE_ENCODINGS as readonly string[]).includes(n) || iconv().encodingExists(n)
}

export function normalizeEncoding(name: string): string {
  const n = name.trim().toLowerCase().replace(/_/g, '-')
  if (n === 'utf8') return 'utf-8'
  if (n === 'utf16le' || n === 'utf-16' || n === 'ucs2' || n === 'ucs-2') return 'utf-16le'
  if (n === 'utf16be') return 'utf-16be'
  if (/^(windows|win)-?\d+$/.test(n)) return `cp${n.replace(/\D/g, '')}`
  if (/^ibm-?\d+$/.test(n)) return `cp${n.replace(/\D/g, '')}`
  return n
}

/**
 * Guesses the encoding of an input from its first bytes: BOMs, the NUL pattern of BOM-less UTF-16,
 * valid UTF-8, else the OEM/ANSI code page whose decoding shows known localized netstat words.
 */
export function sniffEncoding(head: Buffer): Sniffed {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return {encoding: 'utf-8', bomLength: 3}
  if (head[0] === 0xff && head[1] === 0xfe) return {encoding: 'utf-16le', bomLength: 2}
  if (head[0] === 0xfe && head[1] === 0xff) return {encoding: 'utf-16be', bomLength: 2}
  const n = Math.min(head.length, 4096)
  let evenNul = 0
  let oddNul = 0
  for (let i = 0; i < n; i++) {
    if (head[i] === 0) {
      if (i % 2 === 0) evenNul++
      else oddNul++
    }
  }
  const pairs = n / 2
  if (pairs >= 2 && oddNul > pairs * 0.3 && evenNul < oddNul * 0.1) return {encoding: 'utf-16le', bomLength: 0}
  if (pairs >= 2 && evenNul > pairs * 0.3 && oddNul < evenNul * 0.1) return {encoding: 'utf-16be', bomLength: 0}
  if (isUtf8(head)) return {encoding: 'utf-8', bomLength: 0}
  return {encoding: guessCodePage(head), bomLength: 0}
}

/** True when the bytes are valid UTF-8, allowing a sequence cut at the very end. */
export function isUtf8(b: Buffer): boolean {
  let i = 0
  const n = b.length
  while (i < n) {
    const c = b[i]!
    if (c < 0x80) {
      i++
      continue
    }
    let need: number
    if (c >= 0xc2 && c <= 0xdf) need = 1
    else if (c >= 0xe0 && c <= 0xef) need = 2
    else if (c >= 0xf0 && c <= 0xf4) need = 3
    else return false
    if (i + need >= n) return true
    for (let k = 1; k <= need; k++) if ((b[i + k]! & 0xc0) !== 0x80) return false
    i += need + 1
  }
  return true
}

// Words that appear in localized netstat/ipconfig/netsh output. The code page whose decoding of the
// sample shows most of them wins; cp850 is the fallback (the usual Western European OEM code page).
const PROBES: readonly [string, readonly string[]][] = [
  ['cp850', ['ABHÖREN', 'État', 'Données', 'Größe', 'Schließen', 'démarrage', 'Verbindungen']],
  ['cp1252', ['ABHÖREN', 'État', 'démarrage', 'Größe']],
  ['cp437', ['ABHÖREN', 'État']],
  ['cp852', ['Aktivní', 'Stav', 'Połączenia', 'Adres lokalny', 'naslouchání']],
  ['cp866', ['Активные', 'подключения', 'Состояние', 'Локальный']],
  ['cp1251', ['Активные', 'подключения', 'Состояние', 'Локальный']],
  ['cp932', ['アクティブな接続', 'ローカル', 'プロトコル', '状態']],
  ['cp936', ['活动连接', '协议', '本地地址', '状态']],
  ['cp949', ['활성 연결', '프로토콜', '로컬 주소', '상태']],
  ['cp950', ['使用中連線', '通訊協定', '本機位址', '狀態']],
]

function guessCodePage(head: Buffer): EncodingName {
  let best = 'cp850'
  let bestScore = 0
  for (const [cp, words] of PROBES) {
    const text = iconv().decode(head, cp)
    let score = 0
    // ASCII words decode the same in every code page: they cannot tell code pages apart.
    for (const w of words) if (!/^[\x20-\x7e]*$/.test(w) && text.includes(w)) score++
    if (score > bestScore) {
      best = cp
      bestScore = score
    }
  }
  return best
}

/** A streaming decoder: bytes in (any chunking), text out; sequences split across chunks are kept. */
export type ChunkDecoder = {write(chunk: Buffer): string; end(): string}

export function createDecoder(encoding: EncodingName): ChunkDecoder {
  const enc = normalizeEncoding(encoding)
  if (enc === 'utf-8' || enc === 'utf-16le' || enc === 'latin1') {
    const d = new StringDecoder(enc === 'utf-8' ? 'utf8' : enc)
    return {write: (c) => d.write(c), end: () => d.end()}
  }
  if (enc === 'utf-16be') {
    const d = new StringDecoder('utf16le')
    let odd: Buffer | null = null
    return {
      write(c) {
        let b = odd ? Buffer.concat([odd, c]) : Buffer.from(c)
        odd = null
        if (b.length % 2 === 1) {
          odd = b.subarray(b.length - 1)
          b = b.subarray(0, b.length - 1)
        }
        return d.write(b.swap16())
      },
      end: () => d.end() + (odd ? '\uFFFD' : ''),
    }
  }
  const d = iconv().getDecoder(enc)
  return {write: (c) => d.write(c), end: () => d.end() ?? ''}
}
