#!/usr/bin/env node
// Writes oclif.manifest.json (the commands, their flags and arguments) from the built dist/, as `oclif
// manifest` does, with @oclif/core's own Plugin loader. With it, oclif starts without importing every
// command module to learn what commands there are (about 0.2 s of every run). Run by `npm run build` and
// `prepare`; the file is generated (git-ignored), so it cannot go stale in a checkout that builds.
//   node scripts/manifest.mjs [ROOT]   (ROOT: the package folder holding dist/, default this checkout)
import {writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Plugin} from '@oclif/core'

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..')
const plugin = new Plugin({root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
await plugin.load()
writeFileSync(join(root, 'oclif.manifest.json'), `${JSON.stringify(plugin.manifest, null, 2)}\n`)
