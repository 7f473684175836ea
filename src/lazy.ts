import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)

/**
 * A CommonJS package loaded on first use rather than at start-up: code pages, archives and CSV are needed by few
 * runs, and loading them costs every run (iconv-lite, yauzl, tar-stream and papaparse together: 60–90 ms).
 */
export function lazy<T>(id: string): () => T {
  let loaded: T | undefined
  return () => (loaded ??= require(id) as T)
}
