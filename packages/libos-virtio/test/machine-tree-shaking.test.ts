/**
 * A machine links only the device classes its specs carry: entries that build a machine
 * with `createMachineOf` are bundled by esbuild (as `libos build` does: ESM, minified,
 * tree-shaken, `libos-source` condition) and the metafile's inputs are checked. A
 * net-only machine holds no virtio-blk / -rng / -console model or driver and no
 * @libos/fs module; a disk-only machine holds no virtio-net code and no @libos/net. The
 * control entry (`createMachine`, which knows every class) holds them all, so the
 * checks can see what they look for.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The model and driver modules of each device kind. */
const DEVICE_MODULES = {
  net: ['devices/net/net-device-model.ts', 'devices/net/net-driver.ts'],
  blk: ['devices/blk/block-device-model.ts', 'devices/blk/virtio-block-driver.ts'],
  rng: ['devices/rng/entropy-device-model.ts', 'devices/rng/entropy-driver.ts'],
  console: ['devices/console/console-device-model.ts', 'devices/console/console-driver.ts'],
} as const;

/** The inputs that left bytes in the bundle of `source` (an entry module's text). */
async function bundledInputs(source: string): Promise<string[]> {
  const result = await build({
    stdin: { contents: source, resolveDir: ROOT, sourcefile: 'entry.ts', loader: 'ts' },
    absWorkingDir: ROOT,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    conditions: ['libos-source'],
    treeShaking: true,
    minify: true,
    metafile: true,
    write: false,
    outfile: 'out.mjs',
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  return Object.entries(output.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
}

function linked(inputs: readonly string[], kind: keyof typeof DEVICE_MODULES): string[] {
  return inputs.filter((path) => DEVICE_MODULES[kind].some((module) => path.endsWith(module)));
}

const fsModules = (inputs: readonly string[]) => inputs.filter((p) => p.includes('libos-fs/'));
const netModules = (inputs: readonly string[]) => inputs.filter((p) => p.includes('libos-net/'));

describe('tree-shaking of device classes', () => {
  it('links only virtio-net into a machine built from netDevice()', async () => {
    const inputs = await bundledInputs(`
      import { createLink } from '@libos/net';
      import { createMachineOf, netDevice } from '@libos/virtio';
      const [backend] = createLink();
      const machine = await createMachineOf({ memoryBytes: 4 << 20, devices: [netDevice({ backend })] });
      machine.poll();
    `);
    expect(linked(inputs, 'net')).toHaveLength(2);
    expect(linked(inputs, 'blk')).toEqual([]);
    expect(linked(inputs, 'rng')).toEqual([]);
    expect(linked(inputs, 'console')).toEqual([]);
    expect(fsModules(inputs)).toEqual([]);
  });

  it('links only virtio-blk into a machine built from blkDevice()', async () => {
    const inputs = await bundledInputs(`
      import { blkDevice, createMachineOf, MemoryBlockBackend } from '@libos/virtio';
      const backend = new MemoryBlockBackend(new Uint8Array(1 << 16));
      const machine = await createMachineOf({ memoryBytes: 4 << 20, devices: [blkDevice({ backend })] });
      await machine.close();
    `);
    expect(linked(inputs, 'blk')).toHaveLength(2);
    expect(linked(inputs, 'net')).toEqual([]);
    expect(linked(inputs, 'rng')).toEqual([]);
    expect(linked(inputs, 'console')).toEqual([]);
    expect(netModules(inputs)).toEqual([]);
  });

  it('links exactly the classes named in `classes`', async () => {
    const inputs = await bundledInputs(`
      import { SeededEntropy } from '@libos/sched';
      import { createMachineOf, rngDeviceClass } from '@libos/virtio';
      const machine = await createMachineOf({
        memoryBytes: 4 << 20,
        devices: [{ kind: 'rng', source: new SeededEntropy(1) }],
        classes: [rngDeviceClass],
      });
      await machine.close();
    `);
    expect(linked(inputs, 'rng')).toHaveLength(2);
    expect(linked(inputs, 'net')).toEqual([]);
    expect(linked(inputs, 'blk')).toEqual([]);
    expect(linked(inputs, 'console')).toEqual([]);
  });

  it('control: createMachine links every device class', async () => {
    const inputs = await bundledInputs(`
      import { createLink } from '@libos/net';
      import { createMachine } from '@libos/virtio';
      const [backend] = createLink();
      const machine = await createMachine({ memoryBytes: 4 << 20, devices: [{ kind: 'net', backend }] });
      machine.poll();
    `);
    for (const kind of ['net', 'blk', 'rng', 'console'] as const) {
      expect(linked(inputs, kind)).toHaveLength(2);
    }
    expect(fsModules(inputs).length).toBeGreaterThan(0);
  });
});
