import { libosTsup } from '../../scripts/tsup-preset.js';

// A host tool: every entry point runs on Node, so `.d.ts` emission needs Node's types.
export default libosTsup({ index: 'src/index.ts', bin: 'src/bin.ts' }, { nodeSubpath: true });
