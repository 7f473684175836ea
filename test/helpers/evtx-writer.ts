/** The `.evtx` writer tests build logs with (it lives in src/synth so the bench can use it too). */
export {fixChecksums, fixChunkChecksums, tcpipEvent, writeEvtx} from '../../src/synth/evtx.js'
export type {SynthEvent, WrittenLog, WrittenRecord} from '../../src/synth/evtx.js'
