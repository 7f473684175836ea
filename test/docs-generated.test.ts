import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {formatsMarkdown, generated, withFormatEnums} from '../scripts/gen-docs.js'
import {formatIds, formats} from '../src/formats/registry.js'

const ROOT = new URL('../', import.meta.url)

describe('files generated from the format registry', () => {
  it.each(generated().map((g) => [g.path, g.text] as const))('%s is up to date (else run `npm run gen:docs`)', (path, text) => {
    expect(readFileSync(new URL(path, ROOT), 'utf8')).toBe(text)
  })

  it('lists every registered format in docs/formats.md', () => {
    const md = formatsMarkdown()
    for (const f of formats) {
      expect(md).toContain(`## \`${f.id}\`: ${f.title}`)
      for (const c of f.commands) expect(md).toContain(c)
    }
  })

  it('sets the format enums of a schema, and only those', () => {
    const schema = JSON.stringify({a: {enum: ['netstat', 'old']}, b: {enum: ['md', 'html']}})
    const out = JSON.parse(withFormatEnums(schema, formatIds()))
    expect(out.a.enum).toEqual(formatIds())
    expect(out.b.enum).toEqual(['md', 'html'])
  })
})
