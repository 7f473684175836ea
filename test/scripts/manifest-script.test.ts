import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {describe, expect, inject, it} from 'vitest'

import {cliBin} from '../helpers/run.js'

type Manifest = {commands: Record<string, {flags: Record<string, unknown>; args: Record<string, unknown>}>}

describe('scripts/manifest.mjs: the command manifest oclif starts from', () => {
  const root = inject('cliRoot')
  const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as Manifest

  it('lists every built command with the flags and arguments its class declares', async () => {
    const files = readdirSync(join(root, 'dist/commands')).filter((f) => f.endsWith('.js'))
    expect(Object.keys(manifest.commands).sort()).toEqual(files.map((f) => f.replace(/\.js$/, '')).sort())
    for (const f of files) {
      const cls = (await import(pathToFileURL(join(root, 'dist/commands', f)).href)).default as {flags?: object; baseFlags?: object; args?: object; enableJsonFlag?: boolean}
      const id = f.replace(/\.js$/, '')
      expect(Object.keys(manifest.commands[id]!.flags).sort(), id).toEqual([...Object.keys({...cls.baseFlags, ...cls.flags}), ...(cls.enableJsonFlag ? ['json'] : [])].sort())
      expect(Object.keys(manifest.commands[id]!.args).sort(), id).toEqual(Object.keys(cls.args ?? {}).sort())
    }
  })

  it('lets the CLI list its commands and run one', () => {
    const help = spawnSync(process.execPath, [cliBin(), '--help'], {encoding: 'utf8'})
    expect(help.status).toBe(0)
    for (const id of Object.keys(manifest.commands)) expect(help.stdout).toContain(id)
    const formats = spawnSync(process.execPath, [cliBin(), 'formats', '--json'], {encoding: 'utf8'})
    expect(formats.status, formats.stderr).toBe(0)
    expect(JSON.parse(formats.stdout)).toBeTruthy()
  })
})
