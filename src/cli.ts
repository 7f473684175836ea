/** oclif's entry for bin/run.js, from the same bundled copy the commands extend (scripts/bundle.mjs). */
export {execute} from '@oclif/core'
