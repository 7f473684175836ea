/**
 * The binary XML of one 64 KiB chunk (MS-EVEN6 2.2.12–2.2.18): tokens, names (by chunk offset,
 * cached), template definitions (by chunk offset, cached: parsed once per chunk) and template
 * instances with their substitution values. A template becomes a small tree whose substitutions
 * are indexes into a record's value list; {@link extractEvent} walks it with the values to get the
 * fields portleak keeps. Every offset is checked against the chunk; damage throws {@link Damaged},
 * which the record reader turns into a skip.
 */
import {ARRAY, fileTimeMs, valueText, VT} from './values.js'

/** Thrown on structure that cannot be read (offsets out of range, unknown tokens, loops). */
export class Damaged extends Error {}
const damaged = (why: string): never => {
  throw new Damaged(why)
}

/** A substitution: value `index` of the instance, of declared `type`; `optional` ones vanish when empty. */
export type Sub = {readonly index: number; readonly type: number; readonly optional: boolean}
export type Attr = {readonly name: string; readonly value: Node[]}
export type Element = {readonly name: string; readonly attrs: Attr[]; readonly kids: Node[]}
/** A template applied to values: `vals` holds (offset, size, type) triples into the chunk. */
export type Instance = {readonly tpl: Element; readonly vals: readonly number[]}
export type Node = string | Sub | Element | Instance

const isSub = (n: Node): n is Sub => typeof n === 'object' && 'index' in n
const isInstance = (n: Node): n is Instance => typeof n === 'object' && 'tpl' in n

/** Nesting bounds: elements in one fragment, nested BinXml values in one record. */
const MAX_DEPTH = 64
const MAX_NESTED = 8
const ENTITIES: Record<string, string> = {lt: '<', gt: '>', amp: '&', quot: '"', apos: "'"}

/** Names and templates of one chunk; `reset` when the next chunk is loaded into the buffer. */
export class ChunkXml {
  private readonly names = new Map<number, string>()
  private readonly templates = new Map<number, Element | null>()
  /** Templates that did not parse, with why: every later reference fails at once (no re-parse per record). */
  private readonly broken = new Map<number, string>()
  /** Template definitions read by this chunk (for notes). */
  templateCount = 0

  constructor(public buf: Buffer) {}

  reset(buf: Buffer): void {
    this.buf = buf
    this.names.clear()
    this.templates.clear()
    this.broken.clear()
  }

  private u16(p: number, end: number): number {
    if (p + 2 > end) damaged(`token runs past its end at 0x${p.toString(16)}`)
    return this.buf.readUInt16LE(p)
  }

  private u32(p: number, end: number): number {
    if (p + 4 > end) damaged(`token runs past its end at 0x${p.toString(16)}`)
    return this.buf.readUInt32LE(p)
  }

  /** The name at chunk offset `off` (next u32, hash u16, count u16, UTF-16 chars, NUL). */
  private name(off: number): string {
    const cached = this.names.get(off)
    if (cached !== undefined) return cached
    const buf = this.buf
    if (off < 512 || off + 8 > buf.length) damaged(`name offset 0x${off.toString(16)} outside the chunk`)
    const count = buf.readUInt16LE(off + 6)
    if (off + 8 + count * 2 > buf.length) damaged(`name at 0x${off.toString(16)} runs past the chunk`)
    const s = buf.toString('utf16le', off + 8, off + 8 + count * 2)
    this.names.set(off, s)
    return s
  }

  /** A name reference at `p`: returns the name and where the token goes on (past an inline name). */
  private nameRef(p: number, end: number): [string, number] {
    const off = this.u32(p, end)
    const name = this.name(off)
    // The name is written inline when it is defined here, right after its offset.
    if (off === p + 4) return [name, p + 4 + 10 + name.length * 2]
    return [name, p + 4]
  }

  /** A UTF-16 string with a u16 count at `p`; returns it and the offset after it. */
  private counted(p: number, end: number): [string, number] {
    const count = this.u16(p, end)
    const e = p + 2 + count * 2
    if (e > end) damaged(`text at 0x${p.toString(16)} runs past its end`)
    return [this.buf.toString('utf16le', p + 2, e), e]
  }

  /**
   * A fragment in [p, end): an optional fragment header, then a template instance or an element.
   * Returns it with the offset after it.
   */
  fragment(p: number, end: number, nested = 0): [Element | Instance, number] {
    if (nested > MAX_NESTED) damaged('nested binary XML too deep')
    if (p < end && this.buf[p] === 0x0f) p += 4
    if (p >= end) damaged('empty binary XML')
    const tok = this.buf[p]!
    if (tok === 0x0c) return this.instance(p, end)
    if ((tok & 0xbf) === 0x01) return this.element(p, end, 0)
    return damaged(`unexpected token 0x${tok.toString(16)} at 0x${p.toString(16)}`)
  }

  /** A template instance token at `p` with its substitution values. */
  private instance(p: number, end: number): [Instance, number] {
    const defOff = this.u32(p + 6, end)
    let q = p + 10
    if (defOff === q) {
      // Resident definition: next offset, GUID, data size, data.
      q += 24 + this.u32(q + 20, end)
      if (q > end) damaged('template definition runs past its record')
    }
    const tpl = this.template(defOff)
    const count = this.u32(q, end)
    q += 4
    if (count > (end - q) / 4) damaged(`${count} substitution values do not fit the record`)
    const vals: number[] = new Array<number>(count * 3)
    let v = q + count * 4
    for (let i = 0; i < count; i++) {
      const size = this.buf.readUInt16LE(q + i * 4)
      vals[i * 3] = v
      vals[i * 3 + 1] = size
      vals[i * 3 + 2] = this.buf[q + i * 4 + 2]!
      v += size
    }
    if (v > end) damaged('substitution values run past the record')
    return [{tpl, vals}, v]
  }

  /** The template defined at chunk offset `off`, parsed once per chunk. */
  private template(off: number): Element {
    const cached = this.templates.get(off)
    if (cached) return cached
    if (cached === null) damaged(`template at 0x${off.toString(16)} refers to itself`)
    const why = this.broken.get(off)
    if (why !== undefined) damaged(why)
    const buf = this.buf
    if (off < 512 || off + 24 > buf.length) damaged(`template offset 0x${off.toString(16)} outside the chunk`)
    const end = off + 24 + buf.readUInt32LE(off + 20)
    if (end > buf.length) damaged(`template at 0x${off.toString(16)} runs past the chunk`)
    this.templates.set(off, null)
    try {
      const [tpl] = this.fragment(off + 24, end)
      if (isInstance(tpl)) damaged('template definition holds a template instance')
      this.templates.set(off, tpl as Element)
      this.templateCount++
      return tpl as Element
    } catch (error) {
      this.templates.delete(off)
      if (error instanceof Damaged || error instanceof RangeError) this.broken.set(off, `template at 0x${off.toString(16)}: ${error.message}`)
      throw error
    }
  }

  /** An element token at `p` (open start, attributes, content, end). */
  private element(p: number, end: number, depth: number): [Element, number] {
    if (depth > MAX_DEPTH) damaged('elements nested too deep')
    const buf = this.buf
    const hasAttrs = (buf[p]! & 0x40) !== 0
    // token, dependency id (u16), data size (u32), name offset.
    const [name, after] = this.nameRef(p + 7, end)
    let q = hasAttrs ? after + 4 : after
    const attrs: Attr[] = []
    if (hasAttrs) {
      while (q < end && (buf[q]! & 0xbf) === 0x06) {
        const [attrName, v] = this.nameRef(q + 1, end)
        const value: Node[] = []
        q = this.values(v, end, value)
        attrs.push({name: attrName, value})
      }
    }
    if (q >= end) damaged(`element ${name} runs past its end`)
    const kids: Node[] = []
    const close = buf[q]!
    if (close === 0x03) return [{name, attrs, kids}, q + 1]
    if (close !== 0x02) damaged(`element ${name}: unexpected token 0x${close.toString(16)}`)
    q++
    for (;;) {
      if (q >= end) damaged(`element ${name} is not closed`)
      const tok = buf[q]!
      const base = tok & 0xbf
      if (base === 0x04) return [{name, attrs, kids}, q + 1]
      if (base === 0x01) {
        const [kid, next] = this.element(q, end, depth + 1)
        kids.push(kid)
        q = next
      } else if (tok === 0x0c) {
        const [inst, next] = this.instance(q, end)
        kids.push(inst)
        q = next
      } else if (base === 0x0a) {
        q = this.nameRef(q + 1, end)[1]
      } else if (base === 0x0b || base === 0x07) {
        const [text, next] = this.counted(q + 1, end)
        if (base === 0x07) kids.push(text)
        q = next
      } else {
        const next = this.values(q, end, kids)
        if (next === q) damaged(`element ${name}: unexpected token 0x${tok.toString(16)} at 0x${q.toString(16)}`)
        q = next
      }
    }
  }

  /** Value tokens from `p` (text, substitutions, character and entity references) into `out`. */
  private values(p: number, end: number, out: Node[]): number {
    const buf = this.buf
    for (let q = p; ; ) {
      if (q >= end) return q
      const base = buf[q]! & 0xbf
      if (base === 0x05) {
        if (q + 2 > end) damaged('value runs past its end')
        const type = buf[q + 1]!
        if (type !== VT.string) damaged(`value text of type 0x${type.toString(16)}`)
        const [text, next] = this.counted(q + 2, end)
        out.push(text)
        q = next
      } else if (base === 0x0d || base === 0x0e) {
        if (q + 4 > end) damaged('substitution runs past its end')
        out.push({index: buf.readUInt16LE(q + 1), type: buf[q + 3]!, optional: base === 0x0e})
        q += 4
      } else if (base === 0x08) {
        out.push(String.fromCharCode(this.u16(q + 1, end)))
        q += 3
      } else if (base === 0x09) {
        const [entity, next] = this.nameRef(q + 1, end)
        out.push(ENTITIES[entity] ?? `&${entity};`)
        q = next
      } else return q
    }
  }
}

/** What one record's binary XML says, as portleak keeps it. */
export type EventFields = {
  provider: string
  eventId: number
  level: string | null
  /** TimeCreated as ms since the epoch (UTC), when the record has one. */
  time: number | null
  computer: string | null
  data: Record<string, string>
  /** Values of `<Data>` elements in order (the message of an event without rendering info). */
  dataValues: string[]
}

const enum Section {
  None,
  System,
  EventData,
  UserData,
}

/** Walks a record's tree (template and values) for its fields. */
export function extractEvent(x: ChunkXml, root: Element | Instance): EventFields {
  const f: EventFields = {provider: '', eventId: -1, level: null, time: null, computer: null, data: {}, dataValues: []}
  const w = new Walker(x, f)
  if (isInstance(root)) w.top(root.tpl, root.vals, 0)
  else w.top(root, EMPTY, 0)
  return f
}

const EMPTY: readonly number[] = []

class Walker {
  private unnamed = 0

  constructor(
    private readonly x: ChunkXml,
    private readonly f: EventFields,
  ) {}

  /** The root element (`Event`): its children name the sections. */
  top(el: Element, vals: readonly number[], nested: number): void {
    for (const kid of el.kids) {
      if (typeof kid === 'string') continue
      if (isSub(kid)) this.nested(kid, vals, nested, (e, v, n) => this.named(e, v, n))
      else if (isInstance(kid)) this.named(kid.tpl, kid.vals, nested)
      else this.named(kid, vals, nested)
    }
  }

  /** A child of the root, or a fragment a substitution put there: the section its name says. */
  private named(el: Element, vals: readonly number[], nested: number): void {
    if (el.name === 'Event') return this.top(el, vals, nested)
    const s = el.name === 'System' ? Section.System : el.name === 'EventData' ? Section.EventData : el.name === 'UserData' ? Section.UserData : Section.None
    this.section(el, vals, nested, s)
  }

  private section(el: Element, vals: readonly number[], nested: number, s: Section): void {
    if (s === Section.None) return
    for (const kid of el.kids) {
      if (typeof kid === 'string') continue
      if (isSub(kid)) this.nested(kid, vals, nested, (e, v, n) => this.inner(e, v, n, s))
      else if (isInstance(kid)) this.inner(kid.tpl, kid.vals, nested, s)
      else this.inner(kid, vals, nested, s)
    }
  }

  /** An element inside a section (or a fragment a substitution put there). */
  private inner(el: Element, vals: readonly number[], nested: number, s: Section): void {
    const f = this.f
    if (s === Section.System) {
      switch (el.name) {
        case 'Provider':
          f.provider ||= this.attr(el, 'Name', vals) ?? this.attr(el, 'EventSourceName', vals) ?? ''
          return
        case 'EventID': {
          const id = Number.parseInt(this.text(el.kids, vals), 10)
          if (Number.isFinite(id)) f.eventId = id
          return
        }
        case 'Level': {
          const t = this.text(el.kids, vals).trim()
          f.level = t === '' ? null : t
          return
        }
        case 'TimeCreated':
          f.time = this.time(el, vals)
          return
        case 'Computer':
          f.computer = this.text(el.kids, vals).trim() || null
          return
        default:
          return
      }
    }
    if (el.name === 'Data' && s === Section.EventData) {
      const value = this.text(el.kids, vals)
      const name = this.attr(el, 'Name', vals)
      f.data[name || `Data[${++this.unnamed}]`] = value
      f.dataValues.push(value)
      return
    }
    const elements = el.kids.some((k) => typeof k !== 'string' && !(isSub(k) && (k.type & 0x7f) !== VT.binXml))
    if (!elements) {
      // A leaf: `<Binary>` in EventData, any leaf of UserData.
      if (s === Section.UserData || el.name === 'Binary') f.data[el.name] = this.text(el.kids, vals)
      return
    }
    this.section(el, vals, nested, s)
  }

  /** A substitution holding nested binary XML: walks it with `then`; other substitutions are text. */
  private nested(sub: Sub, vals: readonly number[], nested: number, then: (el: Element, vals: readonly number[], nested: number) => void): void {
    if (sub.index * 3 + 2 >= vals.length) return
    const off = vals[sub.index * 3]!
    const size = vals[sub.index * 3 + 1]!
    if (vals[sub.index * 3 + 2] !== VT.binXml || size === 0) return
    const [frag] = this.x.fragment(off, off + size, nested + 1)
    if (isInstance(frag)) then(frag.tpl, frag.vals, nested + 1)
    else then(frag, EMPTY, nested + 1)
  }

  private attr(el: Element, name: string, vals: readonly number[]): string | null {
    for (const a of el.attrs) if (a.name === name) return this.text(a.value, vals)
    return null
  }

  private time(el: Element, vals: readonly number[]): number | null {
    for (const a of el.attrs) {
      if (a.name !== 'SystemTime') continue
      const v = a.value[0]
      if (a.value.length === 1 && v !== undefined && isSub(v) && v.index * 3 + 2 < vals.length) {
        const off = vals[v.index * 3]!
        if (vals[v.index * 3 + 2] === VT.fileTime && vals[v.index * 3 + 1]! >= 8) return fileTimeMs(this.x.buf, off)
      }
      const ms = Date.parse(this.text(a.value, vals))
      return Number.isFinite(ms) ? ms : null
    }
    return null
  }

  /** Text content: strings and substitution values in order (elements inside are not text). */
  private text(kids: readonly Node[], vals: readonly number[]): string {
    let s = ''
    for (const k of kids) {
      if (typeof k === 'string') s += k
      else if (isSub(k)) s += this.subText(k, vals)
    }
    return s
  }

  private subText(sub: Sub, vals: readonly number[]): string {
    const i = sub.index * 3
    if (i + 2 >= vals.length) return ''
    const type = vals[i + 2]!
    if ((type & ~ARRAY) === VT.binXml) return ''
    return valueText(this.x.buf, vals[i]!, vals[i + 1]!, type)
  }
}
