import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {PortleakError} from '../../errors.js'
import {MODULE_ROOT} from '../../module-root.js'
import {STATE_WORDS} from './locale.js'
import {TCP_STATES, type TcpState} from '../types.js'

/** What {@link NetstatKernel.parseRow} answers. */
export const K_REJECT = 0
export const K_OK = 1
export const K_FALLBACK = 2

/** Result fields (indices into {@link NetstatKernel.fields}); kernel/netstat.ts writes them. */
export const KF_PROTO = 0
export const KF_STATE = 1
export const KF_PID = 2
/** Local address: start, end (input offsets), port, same bytes as the last local address; then remote at +5. */
export const KF_LOCAL = 3
export const KF_REMOTE = 8
export const KA_START = 0
export const KA_END = 1
export const KA_PORT = 2
export const KA_SAME = 4
/** The address was `*` (field KF_LSTAR / KF_RSTAR). */
export const KF_LSTAR = 13
export const KF_RSTAR = 14
/** States as the kernel numbers them: index in TCP_STATES + 1 (0: none). */
export const KERNEL_STATES: readonly TcpState[] = TCP_STATES

/** The part of the WebAssembly API used here (the project's `lib` has no DOM/WebAssembly typings). */
type WasmMemory = {readonly buffer: ArrayBuffer; grow(pages: number): number}
type WasmModule = object
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule
  Instance: new (module: WasmModule, imports: object) => {readonly exports: object}
}

type Exports = {
  memory: WasmMemory
  inputArea(size: number): number
  statesOffset(): number
  forget(): void
  parseRow(start: number, end: number): number
}

/** The compiled kernel, built by `npm run build:kernel` (part of `npm install`). */
export const KERNEL_WASM = new URL('../dist/kernel/netstat.wasm', MODULE_ROOT)

let compiled: WasmModule | null | undefined

/** The compiled module, or null when it is missing or does not compile (the JavaScript reader is used then). */
function module(): WasmModule | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(readFileSync(KERNEL_WASM))
    } catch {
      compiled = null
    }
  }
  return compiled
}

/**
 * What the kernel imports: the row lane asks its caller for the id of an address it has not met
 * (`laneAddressId`, see kernel/netstat.ts otherAddress) and for the slot of a PID without one (`laneSlot`,
 * rows without an image name). Instances that run no lane answer -1 (no address, no slot).
 */
export type KernelImports = {env: {laneAddressId(start: number, end: number, loose: number): number; laneSlot(pid: number): number}}
const NO_LANE: KernelImports = {env: {laneAddressId: () => -1, laneSlot: () => -1}}

/**
 * A new instance of the compiled kernel (row reader and aggregator in one module, each instance with its own
 * memory), or an error naming what is missing: the module is built by `npm install` (`npm run build:kernel`).
 */
export function kernelInstance(imports: KernelImports = NO_LANE): {readonly exports: object} {
  const m = module()
  if (m === null) {
    throw new PortleakError(`the compiled netstat kernel ${fileURLToPath(KERNEL_WASM)} is missing or broken`, 'EIO', [
      "Run `npm run build:kernel` (or `npm install`) in portleak's folder.",
    ])
  }
  return new WebAssembly.Instance(m, imports)
}

/** A kernel trap as a one-line error (the kernel traps only when its memory cannot grow). */
export function kernelError(e: unknown): Error {
  const what = e instanceof Error ? e.message : String(e)
  return new PortleakError(`the netstat kernel ran out of memory for one snapshot's tables (${what})`, 'ELIMIT')
}

/** Runs kernel calls; a trap (out of memory: the tables are bounded by one snapshot) becomes a one-line error (`kernelError`). */
export function kernelCall<T>(f: () => T): T {
  try {
    return f()
  } catch (e) {
    throw kernelError(e)
  }
}

/** The WebAssembly memory of an instance, as the wrappers use it. */
export type KernelMemory = WasmMemory

/**
 * Writes the state words a kernel instance reads itself at `at`, in UTF-8 (what its rows are in: every input
 * is UTF-8 by the time a kernel reads it): the German `ABHÖREN` rows of a UTF-16 loop (about 15 a snapshot)
 * left the row lane for JavaScript while the table held ASCII words only.
 */
export function writeStateWords(bytes: Uint8Array, at: number): void {
  let p = at
  const limit = at + 3584
  for (const [state, words] of STATE_WORDS) {
    for (const w of words) {
      const utf8 = Buffer.from(w, 'utf8')
      if (utf8.some((b) => b < 0x21 || b === 0x7f) || utf8.length > 255 || p + 2 + utf8.length >= limit) continue
      bytes[p] = utf8.length
      bytes[p + 1] = TCP_STATES.indexOf(state) + 1
      bytes.set(utf8, p + 2)
      p += 2 + utf8.length
    }
  }
  bytes[p] = 0
}

/**
 * Which row reader netstat loops use: the compiled kernel when PORTLEAK_KERNEL=wasm (and it is built),
 * else the JavaScript one. Off by default until a full suite and bench on a quiet machine confirm it;
 * both give the same rows (test/formats/netstat-kernel.test.ts runs both).
 */
export function kernelWanted(): boolean {
  return process.env.PORTLEAK_KERNEL === 'wasm'
}

/**
 * One instance of the netstat row kernel (kernel/netstat.ts) with its own memory: the caller stages a
 * chunk of input (`stage`), then asks for rows in it by offsets (`parseRow`) and reads their fields.
 */
export class NetstatKernel {
  private readonly ex: Exports
  private input: number
  private bytes: Uint8Array
  /** The last row's fields (see the KF_ indices); valid until the next `parseRow`. */
  fields: Int32Array
  private v4s: Float64Array

  /** A kernel instance, or null when the kernel is not built or not wanted (PORTLEAK_KERNEL is not `wasm`). */
  static create(): NetstatKernel | null {
    if (!kernelWanted()) return null
    const m = module()
    if (m === null) return null
    try {
      return new NetstatKernel(new WebAssembly.Instance(m, NO_LANE).exports as unknown as Exports)
    } catch {
      return null
    }
  }

  private constructor(ex: Exports) {
    this.ex = ex
    this.input = ex.inputArea(1 << 16)
    this.bytes = new Uint8Array(ex.memory.buffer)
    this.fields = new Int32Array(ex.memory.buffer, 0, 32)
    this.v4s = new Float64Array(ex.memory.buffer, 96, 2)
    this.writeStates()
    ex.forget()
  }

  /** The state words the kernel can read itself. */
  private writeStates(): void {
    writeStateWords(this.bytes, this.ex.statesOffset())
  }

  /**
   * Copies `buf` into the kernel's memory: later rows are asked for by offsets in it. False when the
   * memory cannot grow to hold it (the caller reads that buffer's rows itself).
   */
  stage(buf: Uint8Array): boolean {
    const mem = this.ex.memory
    try {
      this.input = this.ex.inputArea(buf.length)
    } catch {
      return false
    }
    if (this.bytes.buffer !== mem.buffer) {
      this.bytes = new Uint8Array(mem.buffer)
      this.fields = new Int32Array(mem.buffer, 0, 32)
      this.v4s = new Float64Array(mem.buffer, 96, 2)
    }
    this.bytes.set(buf, this.input)
    return true
  }

  /**
   * Parses the row at staged bytes [start, end): K_OK (fields set), K_REJECT or K_FALLBACK. A trap
   * (there should be none: every access stays inside the staged bytes) is a K_FALLBACK, never an error.
   */
  parseRow(start: number, end: number): number {
    try {
      return this.ex.parseRow(start, end)
    } catch {
      this.ex.forget()
      return K_FALLBACK
    }
  }

  /** The IPv4 value of the last row's local (or remote) address, -1 when it is none. */
  v4(local: boolean): number {
    return this.v4s[local ? 0 : 1]!
  }

  /** Forgets the last addresses (their ids were renumbered). */
  forget(): void {
    this.ex.forget()
  }
}
