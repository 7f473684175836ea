import {Plugin} from '@oclif/core'
import {writeFileSync} from 'node:fs'
const plugin = new Plugin({root: process.cwd(), type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true})
await plugin.load()
writeFileSync('oclif.manifest.json', JSON.stringify(plugin.manifest, null, 2) + '\n')
console.log(Object.keys(plugin.manifest.commands))
