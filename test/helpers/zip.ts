import yazl from 'yazl'

/** One entry of a test zip. */
export type ZipEntrySpec = {
  /** Entry name as stored. May be hostile (`../x`, `/abs`): such names are patched in after yazl wrote the archive. */
  readonly name: string
  /** Content; omit for a directory entry (name ending in `/`). */
  readonly data?: string | Buffer
  /** Deflate (default) or store. */
  readonly compress?: boolean
  /** Sets general-purpose bit 0 (traditional encryption) in both headers; the data stays plain. */
  readonly encrypted?: boolean
}

const LOCAL_HEADER = 0x04034b50
const CENTRAL_HEADER = 0x02014b50
const END_OF_CENTRAL_DIR = 0x06054b50

/**
 * Builds a zip in memory with yazl. Names yazl refuses (absolute, `..`) are written as same-length
 * placeholders and then overwritten in the local and central headers, as a hostile tool would write them.
 */
export async function zipBuffer(entries: readonly ZipEntrySpec[]): Promise<Buffer> {
  const zf = new yazl.ZipFile()
  const mtime = new Date(Date.UTC(2023, 2, 10, 9, 0, 0))
  for (const e of entries) {
    const name = placeholder(e.name)
    if (e.data === undefined) zf.addEmptyDirectory(name, {mtime})
    else zf.addBuffer(Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, 'utf8'), name, {mtime, compress: e.compress ?? true})
  }
  zf.end()
  const chunks: Buffer[] = []
  for await (const c of zf.outputStream as AsyncIterable<Buffer>) chunks.push(c)
  const zip = Buffer.concat(chunks)
  patchEntries(zip, entries)
  return zip
}

function placeholder(name: string): string {
  const unsafe = /^[a-zA-Z]:/.test(name) || name.startsWith('/') || name.split('/').includes('..')
  return unsafe ? 'x'.repeat(Buffer.byteLength(name, 'utf8')) : name
}

/** Rewrites names and the encryption bit entry by entry, walking the central directory. */
function patchEntries(zip: Buffer, entries: readonly ZipEntrySpec[]): void {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  if (eocd < 0 || zip.readUInt32LE(eocd) !== END_OF_CENTRAL_DIR) throw new Error('no end of central directory')
  let cd = zip.readUInt32LE(eocd + 16)
  for (const e of entries) {
    if (zip.readUInt32LE(cd) !== CENTRAL_HEADER) throw new Error('central directory out of step')
    const nameLen = zip.readUInt16LE(cd + 28)
    const local = zip.readUInt32LE(cd + 42)
    if (zip.readUInt32LE(local) !== LOCAL_HEADER) throw new Error('local header out of step')
    const raw = Buffer.from(e.name, 'utf8')
    raw.copy(zip, cd + 46)
    raw.copy(zip, local + 30)
    if (e.encrypted) {
      zip.writeUInt16LE(zip.readUInt16LE(cd + 8) | 1, cd + 8)
      zip.writeUInt16LE(zip.readUInt16LE(local + 6) | 1, local + 6)
    }
    cd += 46 + nameLen + zip.readUInt16LE(cd + 30) + zip.readUInt16LE(cd + 32)
  }
}

/** Points every central-directory record of a zip at the first entry's local header, as a crafted zip does. */
export function overlapEntries(zip: Buffer): Buffer {
  const out = Buffer.from(zip)
  const eocd = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  const count = out.readUInt16LE(eocd + 10)
  let cd = out.readUInt32LE(eocd + 16)
  const first = out.readUInt32LE(cd + 42)
  for (let i = 0; i < count; i++) {
    if (out.readUInt32LE(cd) !== CENTRAL_HEADER) throw new Error('central directory out of step')
    out.writeUInt32LE(first, cd + 42)
    cd += 46 + out.readUInt16LE(cd + 28) + out.readUInt16LE(cd + 30) + out.readUInt16LE(cd + 32)
  }
  return out
}
