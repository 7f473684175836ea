import {basename, dirname} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

/**
 * The folder portleak's modules run from: `dist/` when built (each module where tsc put it, or bundled by
 * scripts/bundle.mjs into `dist/chunks/`), `src/` under tsx. Files shipped beside the modules (the worker
 * entries, the compiled kernel) are found from it, not from a module's own folder, which bundling changes.
 */
export const MODULE_ROOT: URL = moduleRoot(fileURLToPath(import.meta.url))

/** The nearest folder named `dist` or `src` holding `file` (as a folder URL), else the file's own folder. */
export function moduleRoot(file: string): URL {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const name = basename(dir)
    if (name === 'dist' || name === 'src') return pathToFileURL(`${dir}/`)
    if (dirname(dir) === dir) return pathToFileURL(`${dirname(file)}/`)
  }
}
