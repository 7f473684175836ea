import {isIP, isIPv6} from 'node:net'

import type {Analysis, AnalysisDocument, DynamicRange, Timeline} from '../model/types.js'

/**
 * `--redact`: replaces IP addresses, host and domain names and user names with stable pseudonyms
 * (`ip-3`, `host-1`, `domain-2`, `user-1`), and input file paths with `file-N` plus their extension,
 * throughout an analysis, so a report can leave the company. Every string of the document and the
 * timeline is covered (fields added later included), except those under keys known to hold no identity
 * (process names, times, format ids, hashes, enums). Identities are learned from every string first
 * (computer names, `DOMAIN\user`, profile folders, UNC servers, `HOSTNAME=`/`USERNAME=`/`USERDOMAIN=`,
 * ipconfig's Host Name, host names netstat printed as addresses, NetBIOS-style names such as
 * `SQLPROD02`), then replaced wherever they appear, also next to `_` or `-` as in file names.
 * Pure: the same analysis always gives the same pseudonyms (numbered by first appearance in a fixed
 * traversal order).
 */

/** What a redacted report says about itself. */
export const REDACTION_NOTE =
  'Names and addresses in this report are pseudonyms (--redact): IP addresses, host, domain and user names, and input file paths (file-N, extension kept), also inside the quoted evidence lines. Process names, ports, counts and times are kept.'

type Kind = 'ip' | 'host' | 'domain' | 'user'

/** Extensions that make `name.ext` a file or image name rather than a DNS name. */
const FILE_EXT = new Set(
  ('exe dll sys drv txt csv tsv log zip gz tgz 7z rar cab dmp mdmp hdmp json jsonl md html htm xml etl evtx evt ps1 psm1 cmd bat ' +
    'vbs js ts out cfg ini config conf pdb msi msu png jpg gif pdf doc docx xls xlsx nupkg tmp bak old dat bin db sqlite').split(' '),
)
const HOST_KEYS = /^(host|hostname|computer|computername|machine|machinename|server|fqdn)$/i
const USER_KEYS = /^(user|username|account|owner|domainuser|runas)$/i
/** Well-known Windows principals: not personal data, and readers need them. */
const WELL_KNOWN_DOMAINS = new Set(
  ['nt authority', 'authority', 'builtin', 'nt service', 'service', 'nt', 'iis apppool', 'apppool', 'manager', 'host'],
)
const WELL_KNOWN_USERS = new Set(['system', 'local service', 'network service', 'localsystem', 'localservice', 'networkservice'])

const USERS_PATH = /([A-Za-z]:\\(?:Users|Documents and Settings)\\)([^\\/:*?"<>|\r\n]+)/gi
const HOME_PATH = /(\/(?:home|Users)\/)([^/\s]+)/g
const DOMAIN_USER = /(^|[\s"'(=,;[])([A-Za-z][A-Za-z0-9.-]{0,62})\\([A-Za-z0-9][\w.$-]{0,63})(?![\\\w$-])/g
const EMAIL = /(?<![\w.%+-])([A-Za-z0-9][\w.%+-]{0,63})@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+)(?![\w-])/g
const IPV6 = /(?<![\w:.])((?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})(%[\w.]+)?(?![\w:])/g
const IPV4 = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)/g
const FQDN = /(?<![\w.-])([A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*\.([A-Za-z]{2,63}))(?![\w-]|\.[A-Za-z0-9])/g
const COMPUTER = /\bComputer(?:Name)?\s*[:=]\s*([A-Za-z0-9][\w.-]{0,252})/gi
/** Host names from environment dumps (`set`), ipconfig /all and UNC paths. */
const HOST_FIELD = /\b(?:HOSTNAME|LOGONSERVER|CLIENTNAME|Host Name(?:[ .]*)?)\s*[:=]\s*(?:\\\\)?([A-Za-z0-9][\w.-]{0,252})/gi
const UNC = /(?<![\w\\])\\\\([A-Za-z0-9][\w.-]{0,252})\\/g
const USER_FIELD = /\bUSERNAME\s*[:=]\s*([A-Za-z0-9][\w.$-]{0,63})/gi
const DOMAIN_FIELD = /\b(?:USERDOMAIN(?:_ROAMINGPROFILE)?|USERDNSDOMAIN|Primary Dns Suffix[ .]*|Connection-specific DNS Suffix[ .]*|DNS Suffix Search List[ .]*)\s*[:=]\s*([A-Za-z0-9][\w.-]{0,252})/gi
/** A netstat row run without -n: local and remote addresses may be names. */
const NETSTAT_ROW = /^\s*(?:TCP|UDP)\s+\[?([^\s\]]+?)\]?:(?:\d+|\*)\s+\[?([^\s\]]+?)\]?:(?:\d+|\*)(?:\s|$)/i
/** A host name as Windows writes NetBIOS names: capitals and digits (`SQLPROD02`), a digit in it. */
const NETBIOS = /(?<![A-Za-z0-9.$\\-])([A-Z][A-Z0-9-]{1,14})(?![A-Za-z0-9$-]|\.[A-Za-z])/g
/** Capitals-and-digits words that are not host names. */
const NOT_HOSTS = new Set(
  ('IPV4 IPV6 TCPV4 TCPV6 UDPV4 UDPV6 UTF8 UTF16 UTF16LE UTF16BE UTF32 SHA1 SHA256 SHA512 MD5 X64 X86 AMD64 ARM64 IA64 WIN32 WIN64 ' +
    'CP437 CP850 CP852 CP1250 CP1251 CP1252 ISO8859 INET6 IN6ADDR SP1 SP2 SP3 HTTP2 TLS12 TLS13 X509').split(' '),
)
const PSEUDONYM = /^(?:host|user|domain|ip|file)(?:-\d+)?$/

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function keepIpv4(parts: number[]): boolean {
  const [a, b, c, d] = parts as [number, number, number, number]
  if (a === 0 && b === 0 && c === 0 && d === 0) return true
  if (a === 127) return true
  return a === 255 && b === 255 && c === 255 && d === 255
}

class Pseudonyms {
  private readonly maps: Record<Kind, Map<string, string>> = {ip: new Map(), host: new Map(), domain: new Map(), user: new Map()}
  readonly hosts = new Set<string>()
  readonly users = new Set<string>()
  readonly domains = new Set<string>()
  private readonly processes: Set<string>

  constructor(processNames: Iterable<string>) {
    this.processes = new Set([...processNames].map((p) => p.toLowerCase()))
  }

  name(kind: Kind, value: string): string {
    const key = value.toLowerCase()
    const map = this.maps[kind]
    let alias = map.get(key)
    if (!alias) {
      alias = `${kind}-${map.size + 1}`
      map.set(key, alias)
    }
    return alias
  }

  /** Records names a string reveals (computer names, DOMAIN\user, e-mail users, profile folders). */
  learn(text: string): void {
    for (const m of text.matchAll(COMPUTER)) this.learnHost(m[1]!.replace(/\.$/, ''))
    for (const m of text.matchAll(HOST_FIELD)) this.learnHost(m[1]!.replace(/\.$/, ''))
    for (const m of text.matchAll(UNC)) this.learnHost(m[1]!.replace(/\.$/, ''))
    for (const m of text.matchAll(USER_FIELD)) this.learnUser(m[1]!)
    for (const m of text.matchAll(DOMAIN_FIELD)) this.learnDomain(m[1]!.replace(/\.$/, ''))
    for (const m of text.matchAll(NETBIOS)) {
      const name = m[1]!
      if (/\d/.test(name) && /[A-Z].*[A-Z]/.test(name) && !NOT_HOSTS.has(name) && !/^KB\d+$/.test(name)) this.learnHost(name)
    }
    const row = NETSTAT_ROW.exec(text)
    if (row) for (const addr of [row[1]!, row[2]!]) this.learnAddress(addr)
    for (const m of text.matchAll(USERS_PATH)) this.users.add(m[2]!.toLowerCase())
    for (const m of text.matchAll(DOMAIN_USER)) {
      if (this.isDomainUser(m[2]!, m[3]!)) {
        this.domains.add(m[2]!.toLowerCase())
        this.users.add(m[3]!.toLowerCase())
      }
    }
    for (const m of text.matchAll(EMAIL)) this.users.add(m[1]!.toLowerCase())
  }

  /** An address field: a name (netstat without -n) is a host; IP addresses are redacted as such anyway. */
  learnAddress(value: string): void {
    const addr = value.replace(/^\[|\]$/g, '').replace(/:(\d+|\*)$/, '').replace(/^\[|\]$/g, '')
    if (!addr || isIP(addr) || !/^[A-Za-z][\w.-]*$/.test(addr) || /^(localhost|\*)$/i.test(addr)) return
    this.learnHost(addr)
  }

  learnDomain(value: string): void {
    const key = value.toLowerCase()
    if (key.length < 2 || PSEUDONYM.test(key) || WELL_KNOWN_DOMAINS.has(key)) return
    this.domains.add(key)
  }

  learnHost(value: string): void {
    if (!value || value.length < 2 || PSEUDONYM.test(value.toLowerCase()) || this.processes.has(`${value.toLowerCase()}.exe`)) return
    this.hosts.add(value.toLowerCase())
    const dot = value.indexOf('.')
    if (dot > 0 && !/^\d/.test(value)) this.hosts.add(value.slice(0, dot).toLowerCase())
  }

  learnUser(value: string): void {
    const slash = value.indexOf('\\')
    const at = value.indexOf('@')
    const user = (slash > 0 ? value.slice(slash + 1) : at > 0 ? value.slice(0, at) : value).toLowerCase()
    if (user.length < 2 || PSEUDONYM.test(user)) return
    if (WELL_KNOWN_USERS.has(user) || (slash > 0 && WELL_KNOWN_DOMAINS.has(value.slice(0, slash).toLowerCase()))) return
    if (slash > 0) {
      this.domains.add(value.slice(0, slash).toLowerCase())
      this.users.add(value.slice(slash + 1).toLowerCase())
    } else if (at > 0) this.users.add(value.slice(0, at).toLowerCase())
    else if (value) this.users.add(value.toLowerCase())
  }

  private isDomainUser(domain: string, user: string): boolean {
    if (WELL_KNOWN_DOMAINS.has(domain.toLowerCase()) || WELL_KNOWN_USERS.has(user.toLowerCase())) return false
    const ext = /\.([A-Za-z0-9]{1,8})$/.exec(user)?.[1]?.toLowerCase()
    return !(ext && FILE_EXT.has(ext)) && !/^\d+$/.test(user)
  }

  private isHostName(name: string, tld: string): boolean {
    return !FILE_EXT.has(tld.toLowerCase()) && !this.processes.has(name.toLowerCase())
  }

  /** Replaces every identifying token in one string. */
  redact(text: string): string {
    if (text === '') return text
    let done = this.memo.get(text)
    if (done === undefined) {
      done = this.redactOnce(text)
      this.memo.set(text, done)
    }
    return done
  }

  private readonly memo = new Map<string, string>()
  private learned: {kind: 'host' | 'user' | 'domain'; pattern: RegExp}[] | null = null

  /** The learned names as patterns, longest first; built once, when learning is over. */
  private learnedPatterns(): {kind: 'host' | 'user' | 'domain'; pattern: RegExp}[] {
    if (this.learned) return this.learned
    this.learned = []
    for (const [kind, set] of [['host', this.hosts], ['user', this.users], ['domain', this.domains]] as const) {
      for (const value of [...set].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))) {
        if (/[^\w.-]/.test(value) || PSEUDONYM.test(value)) continue
        // Letters and digits bound a name; `_` and `-` do not (`ACMEWEB07_netstat.txt`, `server-SQLPROD02`).
        this.learned.push({kind, pattern: new RegExp(`(?<![A-Za-z0-9])${escapeRegex(value)}(?![A-Za-z0-9])`, 'gi')})
      }
    }
    return this.learned
  }

  private redactOnce(text: string): string {
    let s = text
    // Whole known values first: a hostile or unusual host name would not match the token patterns.
    for (const host of [...this.hosts].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))) {
      if (/[^\w.-]/.test(host)) s = s.replace(new RegExp(escapeRegex(host), 'gi'), () => this.name('host', host))
    }
    s = s.replace(USERS_PATH, (_, prefix: string, user: string) => prefix + this.name('user', user))
    s = s.replace(HOME_PATH, (_, prefix: string, user: string) => prefix + this.name('user', user))
    s = s.replace(DOMAIN_USER, (all, lead: string, domain: string, user: string) =>
      this.isDomainUser(domain, user) ? `${lead}${this.name('domain', domain)}\\${this.name('user', user)}` : all,
    )
    s = s.replace(EMAIL, (_, user: string, domain: string) => `${this.name('user', user)}@${this.name('domain', domain)}`)
    s = s.replace(IPV6, (all, addr: string, zone: string | undefined) => {
      if (!isIPv6(addr) || addr === '::' || addr === '::1') return all
      return this.name('ip', addr) + (zone ? '%zone' : '')
    })
    s = s.replace(IPV4, (all, ...rest: string[]) => {
      const parts = rest.slice(0, 4).map(Number)
      if (parts.some((p) => p > 255) || keepIpv4(parts)) return all
      return this.name('ip', parts.join('.'))
    })
    s = s.replace(FQDN, (all, name: string, tld: string) => {
      if (!this.isHostName(name, tld)) return all
      const first = name.slice(0, name.indexOf('.'))
      if (this.hosts.has(first.toLowerCase())) return `${this.name('host', first)}.${this.name('domain', name.slice(first.length + 1))}`
      return this.name('host', name)
    })
    for (const {kind, pattern} of this.learnedPatterns()) s = s.replace(pattern, (m) => this.name(kind, m))
    return s
  }
}

/** Keys whose strings hold no identity: process names, ids, enums, times, hashes. Left as they are. */
const KEEP = new Set([
  'schema', 'format', 'encoding', 'kind', 'severity', 'state', 'status', 'attribution', 'reason', 'dateOrder',
  'dateOrderSource', 'sha256', 'name', 'process', 'time', 'times', 'start', 'end', 'firstSeen', 'lastSeen', 'peakAt',
  'growthStart', 'projectedExhaustion', 'after',
])
/** Keys whose strings are input paths (`file!entry` for archive entries). */
const PATH_KEYS = new Set(['path'])

/** Extensions kept on a redacted file name (the longest that matches). */
const KEPT_EXT = /\.(tar\.gz|[A-Za-z0-9]{1,8})$/

/**
 * Input paths become `file-N.ext`, one number per distinct file (an archive and each of its entries
 * apart), so the base file type stays visible and no folder or file name leaves.
 */
class PathNames {
  private readonly map = new Map<string, string>()

  name(segment: string): string {
    if (segment === '<stdin>' || segment === '') return segment
    let alias = this.map.get(segment)
    if (!alias) {
      const ext = KEPT_EXT.exec(segment)?.[1]
      const keep = ext && (ext.toLowerCase() === 'tar.gz' || FILE_EXT.has(ext.toLowerCase())) ? `.${ext.toLowerCase()}` : ''
      alias = `file-${this.map.size + 1}${keep}`
      this.map.set(segment, alias)
    }
    return alias
  }

  path(path: string): string {
    return path.split('!').map((segment) => this.name(segment)).join('!')
  }

  /** Replaces the known paths, whole or by base name, inside free text (longest first). */
  inText(text: string): string {
    let s = text
    const known: [string, string][] = []
    for (const [segment, alias] of this.map) {
      known.push([segment, alias])
      const base = segment.split(/[\\/]/).pop()!
      if (base !== segment && base.length > 2) known.push([base, alias])
    }
    known.sort((a, b) => b[0].length - a[0].length || (a[0] < b[0] ? -1 : 1))
    for (const [raw, alias] of known) if (s.includes(raw)) s = s.split(raw).join(alias)
    return s
  }
}

/**
 * Calls `f` on every string of a plain value with the key it sits under (array items take their
 * array's key) and builds the copy; typed arrays and other objects are shared.
 */
function walk(value: unknown, key: string, f: (s: string, key: string) => string): unknown {
  if (typeof value === 'string') return f(value, key)
  if (Array.isArray(value)) return value.map((v) => walk(v, key, f))
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(value)) out[k] = walk((value as Record<string, unknown>)[k], k, f)
  return out
}

/**
 * A copy of `analysis` with identifying strings replaced by pseudonyms, consistent across the whole
 * document and timeline. Numeric series are shared with the input, not copied.
 */
export function redactAnalysis(analysis: Analysis): Analysis {
  const {document: d, timeline: t} = analysis
  const names = [
    ...t.processes.map((p) => p.name),
    ...t.handles.map((h) => h.name),
    ...d.processes.map((p) => p.name),
    ...d.findings.map((x) => x.process),
  ].filter((n): n is string => n !== null)
  const p = new Pseudonyms(names)
  const paths = new PathNames()
  if (d.host) p.learnHost(d.host)
  for (const input of d.inputs) {
    for (const key of Object.keys(input.notes).sort()) {
      const value = input.notes[key]!
      if (HOST_KEYS.test(key)) p.learnHost(value)
      else if (USER_KEYS.test(key)) p.learnUser(value)
    }
  }
  for (const addr of t.ephemeralAddr) p.learnAddress(addr)
  for (const x of d.findings) if (x.remote) p.learnAddress(x.remote)
  // Learn from every string (paths too: a folder or file name may name the host), numbering the paths.
  const learn = (s: string, key: string) => {
    if (KEEP.has(key)) return s
    if (PATH_KEYS.has(key)) paths.path(s)
    p.learn(s)
    return s
  }
  walk(d, 'document', learn)
  walk(t, 'timeline', learn)
  const redact = (s: string, key: string) => {
    if (KEEP.has(key)) return s
    if (PATH_KEYS.has(key)) return paths.path(s)
    return p.redact(paths.inText(s))
  }
  return {document: walk(d, 'document', redact) as AnalysisDocument, timeline: walk(t, 'timeline', redact) as Timeline}
}
