/**
 * Column layouts of process tables (Get-Process / Select-Object tables, tasklist tables, Export-Csv and
 * tasklist CSV) and reading one row's cells under a layout. No layout function throws.
 */

/** The process field a column feeds. */
export type Role = 'pid' | 'name' | 'handles' | 'threads' | 'ppid' | 'created' | 'exited'

const ROLES: Readonly<Record<string, Role>> = {
  id: 'pid',
  pid: 'pid',
  processid: 'pid',
  idprocess: 'pid',
  processname: 'name',
  name: 'name',
  imagename: 'name',
  handles: 'handles',
  handlecount: 'handles',
  threads: 'threads',
  threadcount: 'threads',
  parentprocessid: 'ppid',
  ppid: 'ppid',
  starttime: 'created',
  exittime: 'exited',
}

// Columns of other formats: a table carrying one of these is a connection or dump listing, never a process list.
const FOREIGN = new Set(
  ['localaddress', 'localport', 'owningprocess', 'remoteaddress', 'proto', 'offset(v)', 'offset(p)', 'offset']
    .concat(['treedepth', 'wow64', 'hnds', 'shareflags', 'access', 'grantedaccess']),
)
// Numbers PowerShell right-aligns, besides the columns that have a role.
const NUMERIC = new Set(['npm(k)', 'pm(k)', 'ws(k)', 'vm(m)', 'pm(m)', 'ws(m)', 'vm(k)', 'cpu(s)', 'si', 'sessionid'])

const norm = (label: string) => label.toLowerCase().replace(/[\s_"]/g, '')

/** The role of a column label (`Id`, `HandleCount`, `Image Name`…), or null. */
export const roleOf = (label: string): Role | null => ROLES[norm(label)] ?? null

/** True when a label belongs to a connection or memory-dump listing. */
export const isForeignLabel = (label: string): boolean => FOREIGN.has(norm(label))

export type Column = {
  readonly label: string
  readonly start: number
  readonly end: number
  readonly role: Role | null
  /** Right-aligned (numbers): the value ends at `end`. */
  readonly right: boolean
}

/**
 * `ps`: a PowerShell table (dash runs as long as their labels, values aligned to them);
 * `fixed`: a tasklist table (`=` runs as wide as their columns, values cut to them).
 */
export type TableLayout = {readonly kind: 'ps' | 'fixed'; readonly cols: readonly Column[]}

/** True when `text` is a table underline: dash or equals runs separated by blanks. */
export function isRule(text: string): boolean {
  const t = text.trim()
  if (t.length < 2) return false
  const c = t.charCodeAt(0)
  if (c !== 45 && c !== 61) return false
  for (let i = 0; i < t.length; i++) {
    const d = t.charCodeAt(i)
    if (d !== c && d !== 32 && d !== 9) return false
  }
  return true
}

/** The layout of a header line and its underline, or null when it is not a process table. */
export function tableLayout(header: string, rule: string): TableLayout | null {
  const kind = rule.trim().startsWith('=') ? 'fixed' : 'ps'
  const runs: [number, number][] = []
  for (let i = 0; i < rule.length; ) {
    while (i < rule.length && (rule.charCodeAt(i) === 32 || rule.charCodeAt(i) === 9)) i++
    const s = i
    while (i < rule.length && rule.charCodeAt(i) !== 32 && rule.charCodeAt(i) !== 9) i++
    if (i > s) runs.push([s, i])
  }
  if (runs.length < 2) return null
  const cols: Column[] = runs.map(([s, e], i) => {
    const label = header.slice(s, i === runs.length - 1 ? Math.max(e, header.length) : e).trim()
    const role = roleOf(label)
    const counted = role === 'pid' || role === 'handles' || role === 'threads' || role === 'ppid'
    const right = counted || NUMERIC.has(norm(label))
    return {label, start: s, end: e, role, right}
  })
  if (cols.some((c) => isForeignLabel(c.label))) return null
  if (kind === 'fixed') {
    // tasklist labels are localized (`Abbildname`, `Nom de l'image`), its first two columns are not.
    if (cols.length < 3) return null
    return {kind, cols: withFallbackRoles(cols)}
  }
  const roles = new Set(cols.map((c) => c.role))
  if (!roles.has('pid') || !(roles.has('name') || roles.has('handles'))) return null
  return {kind, cols}
}

/** Image name in the first column and PID in the second when no label says otherwise (tasklist). */
function withFallbackRoles(cols: Column[]): Column[] {
  const roles = new Set(cols.map((c) => c.role))
  return cols.map((c, i) => {
    if (c.role !== null) return c
    if (i === 0 && !roles.has('name')) return {...c, role: 'name'}
    if (i === 1 && !roles.has('pid')) return {...c, role: 'pid', right: true}
    return c
  })
}

/** The cells of one table row, trimmed, one per column ('' when blank). */
export function readTableRow(layout: TableLayout, text: string): string[] {
  const cols = layout.cols
  const cells = new Array<string>(cols.length).fill('')
  if (layout.kind === 'fixed') {
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!
      cells[i] = text.slice(c.start, i === cols.length - 1 ? undefined : c.end).trim()
    }
    return cells
  }
  // Right-aligned values end exactly where their column's dashes end; left-aligned values start where
  // theirs start and run up to the next column's value (names may hold blanks: `Memory Compression`).
  const ends = new Map<number, number>()
  for (let i = 0; i < text.length; ) {
    while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++
    const s = i
    while (i < text.length && text.charCodeAt(i) !== 32 && text.charCodeAt(i) !== 9) i++
    if (i > s) ends.set(i, s)
  }
  const starts = new Array<number>(cols.length).fill(-1)
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i]!
    if (!c.right) continue
    const s = ends.get(c.end)
    if (s !== undefined && (i === 0 || s >= cols[i - 1]!.end || cols[i - 1]!.right)) {
      starts[i] = s
      cells[i] = text.slice(s, c.end)
    }
  }
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i]!
    if (c.right || c.start >= text.length) continue
    let to = text.length
    for (let j = i + 1; j < cols.length; j++) {
      const b = cols[j]!.right ? starts[j]! : cols[j]!.start
      if (b > c.start) {
        to = b
        break
      }
    }
    cells[i] = text.slice(c.start, to).trim()
  }
  return cells
}

/**
 * Splits one CSV line (RFC 4180 quoting, `""` inside quotes). Returns null when a quote is left open
 * (a row cut off, or a field spanning lines).
 */
export function splitCsv(text: string, delim: string): string[] | null {
  const out: string[] = []
  let i = 0
  const n = text.length
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let v = ''
      let j = i + 1
      for (;;) {
        const q = text.indexOf('"', j)
        if (q < 0) return null
        v += text.slice(j, q)
        if (text.charCodeAt(q + 1) === 34) {
          v += '"'
          j = q + 2
          continue
        }
        i = q + 1
        break
      }
      out.push(v)
    } else {
      const d = text.indexOf(delim, i)
      out.push(text.slice(i, d < 0 ? n : d))
      i = d < 0 ? n : d
    }
    if (i >= n) return out
    if (text[i] !== delim) {
      // Text after a closing quote: keep it with the field, as spreadsheets do.
      const d = text.indexOf(delim, i)
      out[out.length - 1] += text.slice(i, d < 0 ? n : d)
      if (d < 0) return out
      i = d
    }
    i++
    if (i >= n) {
      out.push('')
      return out
    }
  }
}

/** Column roles of a CSV header, or null when it is not a process list header. */
export function csvLayout(fields: readonly string[]): (Role | null)[] | null {
  if (fields.length < 2 || fields.some((f) => isForeignLabel(f))) return null
  const roles = fields.map((f) => roleOf(f.trim()))
  // tasklist /fo csv headers are localized but always start `Image Name,PID`.
  if (!roles.includes('name') && roles[1] === 'pid' && roles[0] === null && fields.length >= 5) roles[0] = 'name'
  if (!roles.includes('pid') || !(roles.includes('name') || roles.includes('handles'))) return null
  return roles
}

/** A headerless `tasklist /fo csv /nh` row: `"System Idle Process","0","Services","0","8 K"`. */
export function isTasklistCsvRow(fields: readonly string[]): boolean {
  if (fields.length < 5 || !/^\d{1,10}$/.test(fields[1]!) || !/^\d{1,5}$/.test(fields[3]!)) return false
  return /^\d[\d,.\s\u00a0\u202f']*\s*\S{0,3}$/.test(fields[4]!)
}

/** A count as written: plain digits or digit groups (`1,234`, `1.234`, `1 234`); null otherwise. */
export function parseCount(text: string): number | null {
  const t = text.trim()
  if (/^\d{1,12}$/.test(t)) return Number(t)
  if (/^\d{1,3}(?:[,.'\s\u00a0\u202f]\d{3})+$/.test(t)) return Number(t.replace(/\D/g, ''))
  return null
}
