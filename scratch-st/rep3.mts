import {readFileSync} from 'node:fs'
import {Readable} from 'node:stream'
import {tarEntries, DEFAULT_ARCHIVE_LIMITS} from '../src/input/archive.js'
const bytes = readFileSync(process.argv[2]!)
const t = setTimeout(() => { console.log('HANG'); process.exit(3) }, 5000)
for await (const item of tarEntries(Readable.from([bytes]), 'x', DEFAULT_ARCHIVE_LIMITS)) {
  console.log('item', 'source' in item ? item.source.path : item.problem)
  if ('source' in item) { const s = item.source.open(); let n = 0; const mode = process.argv[3]; if (mode === 'destroy') { for await (const c of s) { n += c.length; break } s.destroy() } else for await (const c of s) n += c.length; console.log('read', n) }
}
console.log('done'); clearTimeout(t)
