import {fc, test} from '@fast-check/vitest'
import {type Tokens, lexer, parse, walkTokens} from 'marked'
import {describe, expect} from 'vitest'

import {escapeHtml, escapeMarkdown, inertLines, markdownFence} from '../../src/report/escape.js'
import {mdCode, mdTable} from '../../src/report/markdown-parts.js'

/** Strings rich in the characters markdown and HTML care about. */
const hostile = fc.string({
  unit: fc.constantFrom('a', 'Z', '1', ' ', '<', '>', '&', '"', "'", '`', '|', '\\', '*', '_', '[', ']', '(', ')', '#', '-', '+', '=',
    '!', '~', '.', ':', '/', '@', 'w', '\t', '\n', '\r', 'é', '\u0000', 'h', 't', 'p', 's', 'x', '\u001b', '\u009b', '\u202e', '\u2028'),
  maxLength: 40,
})

describe('escapers', () => {
  test.prop([hostile])('escapeHtml leaves no markup character', (s) => {
    expect(escapeHtml(s)).not.toMatch(/[<>"']|&(?!(amp|lt|gt|quot|#39);)/)
  })

  test.prop([hostile, hostile])('escaped markdown cells keep the table shape and produce no HTML or links', (a, b) => {
    const md = mdTable(['A', 'B', 'C'], [[escapeMarkdown(a), mdCode(b, true), 'end']])
    const tokens = lexer(md)
    const table = tokens.find((t): t is Tokens.Table => t.type === 'table')
    expect(table?.rows).toHaveLength(1)
    expect(table!.rows[0]).toHaveLength(3)
    expect(table!.rows[0]![2]!.text).toBe('end')
    const types = new Set<string>()
    walkTokens(tokens, (t) => void types.add(t.type))
    expect(types.has('html')).toBe(false)
    expect(types.has('link')).toBe(false)
    expect(parse(md, {async: false})).not.toMatch(/<(?!\/?(table|thead|tbody|tr|th|td|code|br)\b)[a-z]/i)
  })

  test.prop([hostile])('an escaped paragraph stays one paragraph of the same text', (s) => {
    const tokens = lexer(`x ${escapeMarkdown(s)}`)
    expect(tokens.filter((t) => t.type !== 'space').map((t) => t.type)).toEqual(['paragraph'])
  })

  test.prop([hostile])('a fenced block contains its content whole, control characters shown as escapes', (s) => {
    const content = `|${s}|`
    const code = lexer(markdownFence(content, 'text')).filter((t): t is Tokens.Code => t.type === 'code')
    expect(code).toHaveLength(1)
    expect(code[0]!.text).toBe(inertLines(content))
    expect(code[0]!.text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/)
  })
})
