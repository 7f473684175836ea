import {isIPv6} from 'node:net'

import type {Analysis, AnalysisDocument, DynamicRange, Timeline} from '../model/types.js'

/**
 * `--redact`: replaces IP addresses, host and domain names and user names with stable pseudonyms
 * (`ip-3`, `host-1`, `domain-2`, `user-1`) throughout an analysis, so a report can leave the company.
 * Process names, times, counts, hashes and format ids stay. Pure: the same analysis always gives the
 * same pseudonyms (numbered by first appearance in a fixed traversal order).
 */

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
const IPV4 = /(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)/g
const FQDN = /(?<![\w.-])([A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*\.([A-Za-z]{2,63}))(?![\w-]|\.[A-Za-z0-9])/g
const COMPUTER = /\bComputer(?:Name)?\s*[:=]\s*([A-Za-z0-9][\w.-]{0,252})/gi

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
    for (const m of text.matchAll(USERS_PATH)) this.users.add(m[2]!.toLowerCase())
    for (const m of text.matchAll(DOMAIN_USER)) {
      if (this.isDomainUser(m[2]!, m[3]!)) {
        this.domains.add(m[2]!.toLowerCase())
        this.users.add(m[3]!.toLowerCase())
      }
    }
    for (const m of text.matchAll(EMAIL)) this.users.add(m[1]!.toLowerCase())
  }

  learnHost(value: string): void {
    if (!value) return
    this.hosts.add(value.toLowerCase())
    const dot = value.indexOf('.')
    if (dot > 0 && !/^\d/.test(value)) this.hosts.add(value.slice(0, dot).toLowerCase())
  }

  learnUser(value: string): void {
    const slash = value.indexOf('\\')
    const at = value.indexOf('@')
    const user = (slash > 0 ? value.slice(slash + 1) : at > 0 ? value.slice(0, at) : value).toLowerCase()
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
    for (const [kind, set] of [['host', this.hosts], ['user', this.users], ['domain', this.domains]] as const) {
      for (const value of [...set].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))) {
        if (/[^\w.-]/.test(value) || /^(host|user|domain|ip)-\d+$/.test(value)) continue
        s = s.replace(new RegExp(`(?<![\\w-])${escapeRegex(value)}(?![\\w-])`, 'gi'), (m) => this.name(kind, m))
      }
    }
    return s
  }
}

type Mapper = (s: string) => string

/** Every redactable string of the document, in a fixed order (host, inputs, range, verdict, findings, events, steps). */
function mapDocument(d: AnalysisDocument, f: Mapper): AnalysisDocument {
  const opt = (s: string | undefined) => (s === undefined ? undefined : f(s))
  return {
    ...d,
    host: d.host === null ? null : f(d.host),
    inputs: d.inputs.map((i) => ({
      ...i,
      path: f(i.path),
      notes: Object.fromEntries(Object.keys(i.notes).sort().map((k) => [k, f(i.notes[k]!)])),
      skippedExamples: i.skippedExamples.map((e) => ({...e, text: f(e.text)})),
    })),
    dynamicRange: {tcp: mapRange(d.dynamicRange.tcp, f), udp: mapRange(d.dynamicRange.udp, f)},
    verdict: {...d.verdict, evidence: d.verdict.evidence.map(f)},
    processes: d.processes.map((p) => ({...p})),
    findings: d.findings.map((x) => {
      const remote = opt(x.remote)
      return {
        ...x,
        ...(remote !== undefined ? {remote} : {}),
        summary: f(x.summary),
        evidence: x.evidence.map((e) => ({...e, path: f(e.path), ...(e.text !== undefined ? {text: f(e.text)} : {})})),
      }
    }),
    events: d.events.map((e) => ({...e, source: f(e.source), path: f(e.path), message: f(e.message)})),
    nextSteps: d.nextSteps.map(f),
    ...(d.spans ? {spans: d.spans.map((x) => ({...x, path: f(x.path)}))} : {}),
  }
}

/** A range with its netsh `path:line` and its excluded blocks' paths mapped. */
function mapRange(r: DynamicRange, f: Mapper): DynamicRange {
  return {
    ...r,
    ...(r.path !== undefined ? {path: f(r.path)} : {}),
    ...(r.excluded ? {excluded: r.excluded.map((e) => ({...e, path: f(e.path)}))} : {}),
  }
}

function mapTimeline(t: Timeline, f: Mapper): Timeline {
  return {
    ...t,
    ephemeralAddr: t.ephemeralAddr.map(f),
    handles: t.handles.map((h) => ({...h, points: h.points.map((p) => ({...p, path: f(p.path)}))})),
    events: t.events.map((e) => ({...e, source: f(e.source), path: f(e.path), message: f(e.message)})),
  }
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
  if (d.host) p.learnHost(d.host)
  for (const input of d.inputs) {
    for (const key of Object.keys(input.notes).sort()) {
      const value = input.notes[key]!
      if (HOST_KEYS.test(key)) p.learnHost(value)
      else if (USER_KEYS.test(key)) p.learnUser(value)
    }
  }
  const learn: Mapper = (s) => {
    p.learn(s)
    return s
  }
  mapDocument(d, learn)
  mapTimeline(t, learn)
  const redact: Mapper = (s) => p.redact(s)
  return {document: mapDocument(d, redact), timeline: mapTimeline(t, redact)}
}
