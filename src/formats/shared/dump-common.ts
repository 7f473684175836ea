/** Facts shared by the memory-dump parsers (WinDbg and Volatility): sockets, elisions. */

// `\Device\Afd`, `\Device\Afd\Endpoint`. WinDbg names file objects `<file name> {<device>}`, so there an
// endpoint reads `\Endpoint {Afd}`. `\Device\Afd\AsyncConnectHlp` is a per-process helper, not a socket.
const AFD = /^(?:\\Device\\Afd(?:\\Endpoint)?|\\(?:Endpoint)? ?\{Afd\})$/i

/** True when a handle's object name is an AFD (socket) endpoint. */
export function isAfdName(name: string): boolean {
  return name.length >= 6 && AFD.test(name.trim())
}

/** `...`, `[snip]`, `<Output Snipped ...>`: an author cut rows out. */
export function isElision(text: string): boolean {
  const t = text.trim()
  if (t === '' || t.length > 60) return false
  return /^(?:\.{3,}|…|\[\s*snip(?:ped)?\s*\]|<[^>]*snip[^>]*>|\(\s*snip(?:ped)?\s*\)|\[\s*\.\.\.\s*\])$/i.test(t)
}
