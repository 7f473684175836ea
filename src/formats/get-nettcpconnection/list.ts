/**
 * `Format-List` blocks of Get-NetTCPConnection / Get-NetUDPEndpoint: `Label : value` lines (labels padded),
 * the default nine fields or every CIM property (`Format-List *`), blocks separated by blank lines.
 */
import {type ConnectionFields, emptyFields, FIELD_OF_PROPERTY} from './fields.js'
import type {Proto} from '../types.js'

const LIST_LABEL = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*: ?(.*)$/
// Labels that open a block: the default nine and the CIM ones `Format-List *` may start with.
const LIST_START = new Set([
  ...Object.keys(FIELD_OF_PROPERTY),
  'AppliedSetting',
  'OffloadState',
  'Caption',
  'Description',
  'ElementName',
  'InstanceID',
  'PSComputerName',
])
const TCP_LABELS = ['State', 'RemoteAddress', 'RemotePort']

/** One Format-List block being read. The record it makes goes under its first line. */
export type ListBlock = {
  readonly line: number
  readonly raw: string
  readonly fields: ConnectionFields
  readonly labels: Set<string>
  /** `CimClass : ROOT/StandardCimv2:MSFT_NetUDPEndpoint` was seen. */
  udp: boolean
}

function add(b: ListBlock, label: string, value: string): void {
  b.labels.add(label)
  const field = Object.hasOwn(FIELD_OF_PROPERTY, label) ? FIELD_OF_PROPERTY[label] : undefined
  if (field) b.fields[field] = value
  else if (label === 'CimClass' && /NetUDPEndpoint/i.test(value)) b.udp = true
}

/** A new block when `text` is a label line a connection listing starts with, else null. */
export function openListBlock(text: string, line: number): ListBlock | null {
  const m = LIST_LABEL.exec(text)
  if (!m || !LIST_START.has(m[1]!)) return null
  const b: ListBlock = {line, raw: text, fields: emptyFields(), labels: new Set(), udp: false}
  add(b, m[1]!, m[2]!)
  return b
}

/**
 * Reads a non-blank line into the block: `label` for a label new to the block, `wrapped` for an indented
 * continuation of a long value, `outside` when the line is not part of the block (a repeated label starts
 * the next block).
 */
export function addListLine(b: ListBlock, text: string, indented: boolean): 'label' | 'wrapped' | 'outside' {
  const m = LIST_LABEL.exec(text)
  if (m) {
    if (b.labels.has(m[1]!)) return 'outside'
    add(b, m[1]!, m[2]!)
    return 'label'
  }
  return indented ? 'wrapped' : 'outside'
}

/** TCP when the block has remote or state fields, UDP when it names the UDP class, else `hint` (UDP by default). */
export function listProto(b: ListBlock, hint: Proto | null): Proto {
  if (b.udp) return 'UDP'
  return TCP_LABELS.some((l) => b.labels.has(l)) ? 'TCP' : (hint ?? 'UDP')
}

/** True when the block has any connection field (a failed block is then malformed rather than junk). */
export const hasConnectionLabel = (b: ListBlock) => Object.keys(FIELD_OF_PROPERTY).some((l) => b.labels.has(l))
