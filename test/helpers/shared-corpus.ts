import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

/** The shared corpus of real samples, next to the repository (never copied into it). */
export const SHARED_CORPUS = fileURLToPath(new URL('../../../shared/corpus/real/', import.meta.url))

export const hasSharedCorpus = existsSync(SHARED_CORPUS)

/** Printed once per run by test/global-setup.ts when the shared corpus is missing. */
export const SHARED_SKIP_NOTE = '../shared/corpus/real not found: the tests on real samples are skipped (their names end in "(skipped: ../shared not found)").'

/** A test or describe name that says, when the shared corpus is missing, that it skips and why. */
export const sharedName = (name: string): string => (hasSharedCorpus ? name : `${name} (skipped: ../shared not found)`)
