// Regenerates the synthetic netstat fixtures under corpus/netstat from seeded scenarios.
// Run: npx tsx scripts/make-fixtures.ts   (outputs are committed; tests check their counts)
import {writeFileSync} from 'node:fs'

import iconv from 'iconv-lite'

import {generateLoop} from '../src/synth/loop.js'
import {SCENARIOS} from '../test/helpers/scenarios.js'

const dir = new URL('../corpus/netstat/', import.meta.url)
const text = (name: keyof typeof SCENARIOS) => [...generateLoop(SCENARIOS[name])].join('')

writeFileSync(new URL('loop-en-us-anobq-bound-leak.txt', dir), text('boundLeak'))
const de = text('germanLoop')
writeFileSync(new URL('loop-de-cp850.txt', dir), iconv.encode(de, 'cp850'))
const gb = text('timeWaitLeak')
writeFileSync(new URL('loop-en-gb-utf16le-bom.txt', dir), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(gb, 'utf16le')]))
// A loop killed mid-row, with ping output and echo junk between snapshots.
const parts = [...generateLoop(SCENARIOS.healthy)]
const noisy = parts
  .map((p, i) => (i === 2 ? `Pinging 1.1.1.1 with 32 bytes of data:\r\nRequest timed out.\r\n\r\nPing statistics for 1.1.1.1:\r\n    Packets: Sent = 1, Received = 0, Lost = 1 (100% loss),\r\n${p}` : p))
  .join('')
writeFileSync(new URL('loop-junk-truncated.txt', dir), noisy.slice(0, noisy.length - 17))
