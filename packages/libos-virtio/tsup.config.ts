import { libosTsup } from '../../scripts/tsup-preset.js';

export default libosTsup(
  {
    index: 'src/index.ts',
    node: 'src/node/index.ts',
    // The device worker's entry script: `startDeviceWorker` starts it as
    // `new URL('./device-worker.js', import.meta.url)` next to the built code.
    'device-worker': 'src/node/device-worker.ts',
  },
  { nodeSubpath: true },
);
