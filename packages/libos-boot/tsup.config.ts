import { libosTsup } from '../../scripts/tsup-preset.js';

export default libosTsup(
  {
    index: 'src/index.ts',
    net: 'src/net/index.ts',
    fs: 'src/fs/index.ts',
    rng: 'src/rng/index.ts',
    console: 'src/console/index.ts',
    node: 'src/node/index.ts',
  },
  { nodeSubpath: true },
);
