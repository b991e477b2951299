/**
 * Type-level conformance: the drivers implement the consumer interfaces of @libos/net,
 * @libos/fs and @libos/sched, and createMachine types its handles after its specs.
 * Checked by `vitest --typecheck` (nothing here runs).
 */
import type { BlockDevice } from '@libos/fs';
import { createLink, type NetDevice } from '@libos/net';
import { type EntropySource, type Poller, SeededEntropy } from '@libos/sched';
import {
  type BlkHandle,
  type BlockDeviceModel,
  type ConsoleDeviceModel,
  type ConsoleDriver,
  type ConsoleHandle,
  createMachine,
  type DeviceHandle,
  type EntropyDeviceModel,
  type EntropyDriver,
  type HandlesOf,
  type Machine,
  MemoryBlockBackend,
  type NetDeviceSpec,
  type NetHandle,
  type RngHandle,
  type VirtioBlockDriver,
  type VirtioNetDeviceModel,
  type VirtioNetDriver,
} from '@libos/virtio';
import {
  createWorkerMachine,
  type DeviceWorker,
  type WorkerBlkHandle,
  type WorkerConsoleHandle,
  type WorkerDeviceHandle,
  type WorkerMachine,
  type WorkerNetDeviceSpec,
  type WorkerNetHandle,
  type WorkerRngHandle,
} from '@libos/virtio/node';
import { describe, expectTypeOf, it } from 'vitest';

const [backend] = createLink();
const disk = new MemoryBlockBackend(new Uint8Array(1 << 16));

describe('drivers implement the libos consumer interfaces', () => {
  it('VirtioNetDriver is a NetDevice', () => {
    expectTypeOf<VirtioNetDriver>().toMatchTypeOf<NetDevice>();
  });
  it('VirtioBlockDriver is a BlockDevice', () => {
    expectTypeOf<VirtioBlockDriver>().toMatchTypeOf<BlockDevice>();
  });
  it('EntropyDriver is an EntropySource', () => {
    expectTypeOf<EntropyDriver>().toMatchTypeOf<EntropySource>();
  });
  it('a machine poller is a @libos/sched Poller', () => {
    expectTypeOf<Machine['poller']>().returns.toEqualTypeOf<Poller>();
  });
});

describe('createMachine types its handles after its specs', () => {
  it('maps a tuple of specs to a tuple of handles, without `as const`', async () => {
    const machine = await createMachine({
      memoryBytes: 16 << 20,
      devices: [
        { kind: 'net', backend },
        { kind: 'blk', backend: disk },
        { kind: 'rng', source: new SeededEntropy(1) },
        { kind: 'console', output: () => {} },
      ],
    });
    expectTypeOf(machine.devices[0].driver).toEqualTypeOf<VirtioNetDriver>();
    expectTypeOf(machine.devices[0].model).toEqualTypeOf<VirtioNetDeviceModel>();
    expectTypeOf(machine.devices[1].driver).toEqualTypeOf<VirtioBlockDriver>();
    expectTypeOf(machine.devices[1].model).toEqualTypeOf<BlockDeviceModel>();
    expectTypeOf(machine.devices[2].driver).toEqualTypeOf<EntropyDriver>();
    expectTypeOf(machine.devices[2].model).toEqualTypeOf<EntropyDeviceModel>();
    expectTypeOf(machine.devices[3].driver).toEqualTypeOf<ConsoleDriver>();
    expectTypeOf(machine.devices[3].model).toEqualTypeOf<ConsoleDeviceModel>();
    expectTypeOf(machine.devices[0]).toEqualTypeOf<NetHandle>();
    expectTypeOf(machine.devices).toEqualTypeOf<
      readonly [NetHandle, BlkHandle, RngHandle, ConsoleHandle]
    >();
    expectTypeOf(machine.devices[0].base).toEqualTypeOf<number>();
    // @ts-expect-error the tuple has four devices
    machine.devices[4];
  });

  it('keeps the order of an `as const` tuple', async () => {
    const machine = await createMachine({
      memoryBytes: 8 << 20,
      devices: [
        { kind: 'blk', backend: disk },
        { kind: 'net', backend },
      ] as const,
    });
    expectTypeOf(machine.devices[0].driver).toEqualTypeOf<VirtioBlockDriver>();
    expectTypeOf(machine.devices[1].driver).toEqualTypeOf<VirtioNetDriver>();
  });

  it('gives the union of handles for specs only known as an array', async () => {
    const specs: NetDeviceSpec[] = [{ kind: 'net', backend }];
    const machine = await createMachine({ memoryBytes: 8 << 20, devices: specs });
    expectTypeOf(machine.devices).toEqualTypeOf<HandlesOf<NetDeviceSpec[]>>();
    expectTypeOf(machine.devices[0]).toEqualTypeOf<NetHandle | undefined>();
  });

  it('narrows the lookups by kind', async () => {
    const machine = await createMachine({ memoryBytes: 8 << 20, devices: [] });
    expectTypeOf(machine.find('blk')).toEqualTypeOf<BlkHandle | undefined>();
    expectTypeOf(machine.ofKind('console')).toEqualTypeOf<readonly ConsoleHandle[]>();
    const any: DeviceHandle = machine.find('rng')!;
    if (any.kind === 'rng') expectTypeOf(any.driver).toEqualTypeOf<EntropyDriver>();
  });

  it('rejects wrong kinds and wrong options', () => {
    void createMachine({
      memoryBytes: 8 << 20,
      // @ts-expect-error there is no 'gpu' device kind
      devices: [{ kind: 'gpu', backend }],
    });
    void createMachine({
      memoryBytes: 8 << 20,
      // @ts-expect-error a disk's backend is a BlockBackend, not a NetDevice
      devices: [{ kind: 'blk', backend }],
    });
    void createMachine({
      memoryBytes: 8 << 20,
      // @ts-expect-error the MTU is a number
      devices: [{ kind: 'net', backend, mtu: '1500' }],
    });
    void createMachine({
      memoryBytes: 8 << 20,
      // @ts-expect-error `serial` is a disk option, not a network card's
      devices: [{ kind: 'net', backend, serial: 'disk-0' }],
    });
    void createMachine({
      memoryBytes: 8 << 20,
      // @ts-expect-error an entropy device needs a source
      devices: [{ kind: 'rng' }],
    });
    void createMachine({
      memoryBytes: 8 << 20,
      devices: [],
      // @ts-expect-error createMachine builds inline machines; worker mode is createWorkerMachine
      mode: 'worker',
    });
  });
});

describe('createWorkerMachine types its handles after its specs', () => {
  it('maps a tuple of worker specs to a tuple of worker handles, without `as const`', async () => {
    const machine = await createWorkerMachine({
      memoryBytes: 16 << 20,
      devices: [
        { kind: 'net', backend },
        { kind: 'blk', backend: { type: 'memory', buffer: new SharedArrayBuffer(1 << 16) } },
        { kind: 'rng', source: { type: 'seeded', seed: 1 } },
        { kind: 'console', output: () => {} },
      ],
    });
    expectTypeOf(machine).toEqualTypeOf<
      WorkerMachine<
        readonly [
          { kind: 'net'; backend: typeof backend },
          { kind: 'blk'; backend: { type: 'memory'; buffer: SharedArrayBuffer } },
          { kind: 'rng'; source: { type: 'seeded'; seed: 1 } },
          { kind: 'console'; output: () => void },
        ]
      >
    >();
    expectTypeOf(machine.mode).toEqualTypeOf<'worker'>();
    expectTypeOf(machine.worker).toEqualTypeOf<DeviceWorker>();
    expectTypeOf(machine.devices[0].driver).toEqualTypeOf<VirtioNetDriver>();
    expectTypeOf(machine.devices[1].driver).toEqualTypeOf<VirtioBlockDriver>();
    expectTypeOf(machine.devices[2].driver).toEqualTypeOf<EntropyDriver>();
    expectTypeOf(machine.devices[3].driver).toEqualTypeOf<ConsoleDriver>();
    expectTypeOf(machine.devices).toEqualTypeOf<
      readonly [WorkerNetHandle, WorkerBlkHandle, WorkerRngHandle, WorkerConsoleHandle]
    >();
    // No device model in this thread: `model` is always absent.
    expectTypeOf(machine.devices[0].model).toEqualTypeOf<undefined>();
    expectTypeOf(machine.devices[3].input).toEqualTypeOf<(bytes: Uint8Array) => void>();
    // @ts-expect-error only console handles take input
    machine.devices[1].input;
    // @ts-expect-error the tuple has four devices
    machine.devices[4];
  });

  it('shares the control surface of an inline machine', async () => {
    const machine = await createWorkerMachine({ memoryBytes: 8 << 20, devices: [] });
    expectTypeOf(machine.poller()).toEqualTypeOf<Poller>();
    expectTypeOf(machine.close()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(machine.find('blk')).toEqualTypeOf<WorkerBlkHandle | undefined>();
    expectTypeOf(machine.ofKind('console')).toEqualTypeOf<readonly WorkerConsoleHandle[]>();
    const any: WorkerDeviceHandle = machine.find('rng')!;
    if (any.kind === 'rng') expectTypeOf(any.driver).toEqualTypeOf<EntropyDriver>();
  });

  it('gives the union of handles for specs only known as an array', async () => {
    const specs: WorkerNetDeviceSpec[] = [{ kind: 'net', backend }];
    const machine = await createWorkerMachine({ memoryBytes: 8 << 20, devices: specs });
    expectTypeOf(machine.devices[0]).toEqualTypeOf<WorkerNetHandle | undefined>();
  });

  it('rejects inline-only backends and wrong kinds', () => {
    void createWorkerMachine({
      memoryBytes: 8 << 20,
      // @ts-expect-error a worker disk is described as data, not a BlockBackend object
      devices: [{ kind: 'blk', backend: disk }],
    });
    void createWorkerMachine({
      memoryBytes: 8 << 20,
      // @ts-expect-error a worker entropy source is { type: 'host' } or { type: 'seeded' }
      devices: [{ kind: 'rng', source: new SeededEntropy(1) }],
    });
    void createWorkerMachine({
      memoryBytes: 8 << 20,
      // @ts-expect-error there is no 'gpu' device kind
      devices: [{ kind: 'gpu', backend }],
    });
  });
});
