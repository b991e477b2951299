/**
 * Type-level checks of device classes: `createMachineOf` types its handles after its
 * specs as `createMachine` does, the spec helpers type-check their options, and a class
 * of one kind does not fit a spec of another. Checked by `vitest --typecheck`.
 */
import { createLink } from '@libos/net';
import { SeededEntropy } from '@libos/sched';
import {
  type AnyDeviceClass,
  type BlkHandle,
  blkDevice,
  blkDeviceClass,
  type ConsoleHandle,
  consoleDevice,
  createMachineOf,
  type DeviceClass,
  MemoryBlockBackend,
  type NetDeviceSpec,
  type NetHandle,
  netDevice,
  netDeviceClass,
  type RngHandle,
  rngDevice,
  rngDeviceClass,
  type VirtioNetDeviceModel,
  type VirtioNetDriver,
} from '@libos/virtio';
import { describe, expectTypeOf, it } from 'vitest';

const [backend] = createLink();
const disk = new MemoryBlockBackend(new Uint8Array(1 << 16));

describe('device classes at the type level', () => {
  it('createMachineOf types its handles after helper-made specs', async () => {
    const machine = await createMachineOf({
      memoryBytes: 8 << 20,
      devices: [
        netDevice({ backend }),
        blkDevice({ backend: disk }),
        rngDevice({ source: new SeededEntropy(1) }),
        consoleDevice({ output: () => {} }),
      ],
    });
    expectTypeOf(machine.devices).toEqualTypeOf<
      readonly [NetHandle, BlkHandle, RngHandle, ConsoleHandle]
    >();
  });

  it('a class builds and opens its own kind', () => {
    expectTypeOf(netDeviceClass).toEqualTypeOf<DeviceClass<'net'>>();
    expectTypeOf(netDeviceClass.createModel).returns.toEqualTypeOf<VirtioNetDeviceModel>();
    expectTypeOf(netDeviceClass.openDriver).returns.resolves.toEqualTypeOf<VirtioNetDriver>();
    expectTypeOf(netDevice({ backend })).toEqualTypeOf<NetDeviceSpec>();
    expectTypeOf([netDeviceClass, blkDeviceClass, rngDeviceClass]).toExtend<AnyDeviceClass[]>();
  });

  it('refuses misplaced options and mismatched classes', () => {
    // @ts-expect-error `serial` is a disk option, not a network card's
    netDevice({ backend, serial: 'disk-0' });
    // @ts-expect-error the helper sets the kind
    netDevice({ backend, kind: 'net' });
    // @ts-expect-error a disk needs a BlockBackend
    blkDevice({ backend });
    void createMachineOf({
      memoryBytes: 8 << 20,
      // @ts-expect-error a disk spec cannot carry the network card's class
      devices: [{ kind: 'blk', backend: disk, deviceClass: netDeviceClass }],
    });
  });
});
