/**
 * Writes what is derived from the format registry: docs/formats.md and the format-id enums of the JSON
 * schemas (docs/schema/*.schema.json). `npm run gen:docs`; test/docs-generated.test.ts fails when a
 * committed file differs from what this writes.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {formats} from '../src/formats/registry.js'
import type {Format} from '../src/formats/types.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const SCHEMAS = ['docs/schema/inspect-1.schema.json', 'docs/schema/analysis-1.schema.json'] as const

const cell = (s: string) => s.replaceAll('|', '\\|')
/** A code span holding `s` whatever backticks it has. */
const code = (s: string) => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``)

function section(f: Format): string {
  const out = [`<a id="${f.id}"></a>`, '', `## \`${f.id}\`: ${f.title}`, '', `${f.description}.`, '', `Version ${f.version}${f.binary ? ', read as bytes' : ''}. Yields: ${f.records.length ? f.records.map(code).join(', ') : 'no records (facts as `notes` only)'}.`, '']
  out.push('Produced by:', '', '```', ...f.commands, '```', '', 'Samples (read by `test/formats/samples.test.ts`):', '')
  for (const s of f.samples) {
    if ('file' in s) out.push(`- ${s.name}: [${s.file}](../${s.file})`)
    else out.push(`- ${s.name}:`, '', '  ```', ...s.lines.map((l) => (l === '' ? '' : `  ${l}`)), '  ```')
  }
  return out.join('\n')
}

/** docs/formats.md for `list`. */
export function formatsMarkdown(list: readonly Format[] = formats): string {
  const head = [
    '# Input formats',
    '',
    '<!-- Generated from src/formats/registry.ts by `npm run gen:docs`: edit the format modules, not this file. -->',
    '',
    'Every format portleak reads, from the format modules themselves (`portleak formats` prints the same list).',
    'Formats are detected from their content; `--format ID` forces one. The ids are a contract: they appear as',
    '`inputs[].format` in the JSON documents ([json.md](json.md)).',
    '',
    '| id | title | yields |',
    '|---|---|---|',
    ...list.map((f) => `| [\`${f.id}\`](#${f.id}) | ${cell(f.title)} | ${f.records.join(', ') || '(notes)'} |`),
  ]
  return `${[head.join('\n'), ...list.map(section)].join('\n\n')}\n`
}

/** A schema's text with every enum of format ids (the enum that holds `netstat`) set to `ids`. */
export function withFormatEnums(text: string, ids: readonly string[]): string {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit)
    else if (node !== null && typeof node === 'object') {
      const o = node as Record<string, unknown>
      if (Array.isArray(o.enum) && o.enum.includes('netstat')) o.enum = [...ids]
      Object.values(o).forEach(visit)
    }
  }
  const doc: unknown = JSON.parse(text)
  visit(doc)
  return `${JSON.stringify(doc, null, 2)}\n`
}

/** Every generated file: its path from the repository root and the text it should hold. */
export function generated(): {path: string; text: string}[] {
  const ids = formats.map((f) => f.id)
  return [
    {path: 'docs/formats.md', text: formatsMarkdown()},
    ...SCHEMAS.map((path) => ({path, text: withFormatEnums(readFileSync(ROOT + path, 'utf8'), ids)})),
  ]
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const {path, text} of generated()) {
    writeFileSync(ROOT + path, text)
    console.log(`wrote ${path}`)
  }
}
