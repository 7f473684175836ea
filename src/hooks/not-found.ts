import {Errors, type Hook} from '@oclif/core'
import askDidYouMean from '@oclif/plugin-not-found'

import {ExitCode} from '../errors.js'
import {inert} from '../report/escape.js'

/** Edit distance (insertions, deletions, substitutions) between two short words. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[b.length]!
}

/** The command a mistyped word most likely means (`analyse` → `analyze`), or null when none is close. */
export function closestCommand(word: string, ids: readonly string[]): string | null {
  let best: string | null = null
  let bestDistance = Infinity
  for (const id of ids) {
    const d = id.startsWith(word) && word.length >= 2 ? 0 : editDistance(word.toLowerCase(), id)
    if (d < bestDistance) [best, bestDistance] = [id, d]
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : null
}

/**
 * An unknown command. With spaces as the topic separator oclif hands over the word and every argument
 * after it as one id (`analyse:netstat.txt`): the word alone is compared with the commands. In a terminal
 * `@oclif/plugin-not-found` asks "Did you mean analyze?" and runs it; elsewhere (scripts, CI) the error
 * names the command to type, arguments included, and exits 2 like any usage error.
 */
const hook: Hook.CommandNotFound = async function (opts) {
  const [word = '', ...rest] = opts.id.split(':')
  const argv = [...rest, ...(opts.argv ?? [])]
  const ids = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const best = closestCommand(word, ids)
  if (best && process.stdin.isTTY && process.stderr.isTTY) {
    return askDidYouMean.call(this, {...opts, id: word, argv})
  }
  const bin = opts.config.bin
  const typed = [bin, best ?? '', ...argv].filter(Boolean).join(' ')
  const suggestions = best ? [`Did you mean \`${typed}\`?`, `Run \`${bin} help\` for the commands.`] : [`Run \`${bin} help\` for the commands (${ids.sort().join(', ')}).`]
  throw new Errors.CLIError(inert(`'${word}' is not a ${bin} command`), {exit: ExitCode.Usage, suggestions: suggestions.map(inert)})
}

export default hook
