import { libosTsup } from '../../scripts/tsup-preset.js';

export default libosTsup(
  { index: 'src/index.ts', testing: 'src/testing/index.ts', node: 'src/node/index.ts' },
  { nodeSubpath: true },
);
