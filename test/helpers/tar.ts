import tar from 'tar-stream'

/** One entry of a test tar: a file with content, or a link/FIFO/folder by type. */
export type TarEntrySpec = {readonly name: string; readonly data?: string | Buffer; readonly type?: 'file' | 'directory' | 'symlink' | 'fifo'; readonly linkname?: string}

/** Builds a ustar archive in memory with tar-stream's packer, entries in the order given. */
export async function tarBuffer(entries: readonly TarEntrySpec[]): Promise<Buffer> {
  const pack = tar.pack()
  const mtime = new Date(Date.UTC(2023, 2, 10, 9, 0, 0))
  const done = (async () => {
    const chunks: Buffer[] = []
    for await (const c of pack) chunks.push(c as Buffer)
    return Buffer.concat(chunks)
  })()
  for (const e of entries) {
    const type = e.type ?? 'file'
    if (type === 'file') pack.entry({name: e.name, mtime, type}, Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '', 'utf8'))
    else pack.entry({name: e.name, mtime, type, linkname: e.linkname ?? ''})
  }
  pack.finalize()
  return done
}
