/**
 * The loop shapes `npm run bench` measures (and the tests check): what each is, how many snapshots make
 * about 0.5 GB (and 5 GB with `--big`), and how to generate it. Bump `version` when a generator's bytes change
 * (it is part of the cached file's name).
 */
import {benchScenario} from './bench-scenario.js'
import {busyServerLoop} from './busy-server.js'
import {localAddressesLoop, shortLivedLoop} from './cardinality.js'
import {generateLoop} from './loop.js'
import {serverLoop} from './server-loop.js'

export type BenchShape = {
  name: string
  /** The letter for the shape (a–g; h added since). */
  letter: string
  title: string
  /** Snapshots for about 0.5 GB, or the shape's natural size for the cardinality shapes. */
  snapshots: number
  /** Snapshots for about 5 GB (`--big`), for the shapes that have a big run. */
  bigSnapshots?: number
  /** In `npm run bench` by default (else only with `--all` or `--shape`). */
  core: boolean
  encoding: 'utf-8' | 'utf-16le'
  /** An awk (ERE) pattern for the stamp line that starts each snapshot, for the awk one-liner. */
  stampPattern: string
  /** Name of the cached file. */
  file(snapshots: number, seed: number): string
  generate(snapshots: number, seed: number): Iterable<Uint8Array | string>
}

const EN_US_STAMP = '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [0-9]'
const file = (name: string, version: number) => (snapshots: number, seed: number) => `${name}-v${version}-${snapshots}-seed${seed}.txt`

export const BENCH_SHAPES: readonly BenchShape[] = [
  {
    name: 'repeat',
    letter: 'a',
    title: '`-anoq`, ~11,000 rows per snapshot, 86 % repeated from the snapshot before, one BOUND leak',
    snapshots: 650,
    bigSnapshots: 6500,
    core: true,
    encoding: 'utf-8',
    stampPattern: EN_US_STAMP,
    // The name the bench used before the shapes (v2: the leak scaled to the loop's length), so caches stay valid.
    file: (snapshots, seed) => `netstat-anoq-v2-${snapshots}-seed${seed}.txt`,
    generate: (snapshots, seed) => generateLoop(benchScenario(snapshots, seed)),
  },
  {
    name: 'busy',
    letter: 'b',
    title: '`-anoq` busy web server, ~11,500 rows per snapshot, 48 % TIME_WAIT to fresh peers, ~1.5 % repeated, ~3 M remote addresses',
    snapshots: 600,
    bigSnapshots: 6000,
    core: true,
    encoding: 'utf-8',
    stampPattern: EN_US_STAMP,
    file: file('busy', 1),
    generate: (snapshots, seed) => busyServerLoop({seed, snapshots}),
  },
  {
    name: 'anob',
    letter: 'c',
    title: '`-anobq` with owner lines, ~6,000 rows per snapshot, pools turning over 20 % per snapshot, one BOUND leak',
    snapshots: 970,
    core: true,
    encoding: 'utf-8',
    stampPattern: EN_US_STAMP,
    file: file('anob', 1),
    generate: (snapshots, seed) => serverLoop({seed, snapshots, owners: true, bound: true}),
  },
  {
    name: 'utf16',
    letter: 'd',
    title: 'German `-ano` in UTF-16LE (PowerShell 5.1), de-DE stamps `05.03.2024  7:00:01,23`, one CLOSE_WAIT leak',
    snapshots: 550,
    core: true,
    encoding: 'utf-16le',
    stampPattern: '^[0-9][0-9][.][0-9][0-9][.][0-9]',
    file: file('utf16-de', 1),
    generate: (snapshots, seed) => serverLoop({seed, snapshots, german: true, utf16: true, dateStyle: 'de'}),
  },
  {
    name: 'local-addresses',
    letter: 'e',
    title: '20,000 distinct local IPv4 addresses over 20 snapshots (~3 MB)',
    snapshots: 20,
    core: false,
    encoding: 'utf-8',
    stampPattern: EN_US_STAMP,
    file: file('local-addresses', 1),
    generate: (snapshots, seed) => localAddressesLoop({seed, snapshots}),
  },
  {
    name: 'short-lived',
    letter: 'f',
    title: 'a day of 10-second snapshots, one or two new processes every snapshot (~75 MB)',
    snapshots: 8640,
    core: false,
    encoding: 'utf-8',
    stampPattern: EN_US_STAMP,
    file: file('short-lived', 1),
    generate: (snapshots, seed) => shortLivedLoop({seed, snapshots}),
  },
  {
    name: 'endpoints',
    letter: 'g',
    title: 'over 100,000 distinct remote addresses and endpoints, half of them IPv6, 40 snapshots (~22 MB)',
    snapshots: 40,
    core: false,
    encoding: 'utf-8',
    stampPattern: EN_US_STAMP,
    file: file('endpoints', 1),
    generate: (snapshots, seed) => busyServerLoop({seed, snapshots, rows: 6000, ipv6Share: 0.5}),
  },
  {
    name: 'churn',
    letter: 'h',
    title: '10-second snapshots of a server starting ~50 short-lived processes each, their TIME_WAIT lingering 4 min (~2,000 rows a snapshot, 125,000 processes)',
    snapshots: 2500,
    core: false,
    encoding: 'utf-8',
    stampPattern: EN_US_STAMP,
    file: file('churn', 1),
    generate: (snapshots, seed) => shortLivedLoop({seed, snapshots, perSnapshot: 50}),
  },
]
