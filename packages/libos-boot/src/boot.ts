import { createMachineOf, type DeviceSpec } from '@libos/virtio';
import { BootLogWriter } from './boot-clock.js';
import { BootError, describeError } from './boot-error.js';
import type { BootHost, BootMachine, BootMachineOptions, UnikernelControl } from './boot-host.js';
import { installedHost } from './host-slot.js';
import type { RunningService, ServiceDeclaration, ServiceHandles } from './service.js';
import { type Unikernel, UnikernelImpl } from './unikernel.js';

/** Guest memory when neither the app nor the host says: rings and buffers of a few devices. */
const DEFAULT_MEMORY_BYTES = 16 << 20;

/**
 * Options of {@link boot}.
 *
 * @example
 * ```ts
 * import type { BootOptions } from '@libos/boot';
 * const options: BootOptions = { memoryBytes: 32 << 20, onLog: (line) => console.log(line) };
 * ```
 */
export interface BootOptions {
  /** What to run on; default the host installed by `libos run` (`installHost`). */
  readonly host?: BootHost;
  /** Guest memory in bytes; default the host's `memoryBytes`, else 16 MiB. */
  readonly memoryBytes?: number;
  /** Receives each boot log line; default the host's `log` (console on `nodeHost`). */
  readonly onLog?: (line: string) => void;
  /** How often (µs) the NICs' backends are polled for frames when nothing wakes them; default the host's, else 1000. */
  readonly netPollInterval?: number;
}

/** Declarations as {@link boot} takes them: a name for each service. */
type Declarations = Readonly<Record<string, ServiceDeclaration<unknown>>>;

/**
 * Boots a unikernel: plans one virtio device per need of every declaration (asking the
 * host for backends), builds the in-process machine (`createMachine` from
 * `@libos/virtio`'s `createMachineOf`: guest memory, the device models and drivers of the
 * specs' own device classes — nothing else is linked), starts every service on its
 * devices in declaration order, registers one poller with the host's scheduler, and
 * logs each step with its time since boot began:
 *
 * ```text
 * [    0.000000] libos: booting on node: net (nic), www (disk)
 * [    0.000410] memory: 16 MiB at 0x00000000, DMA region 0x00020000-0x01000000
 * [    0.000690] virtio-mmio@0x00001000: virtio-net, features VERSION_1 CSUM MAC …
 * [    0.001020] net: eth0 52:54:00:12:34:56 link up
 * [    0.004310] net: eth0 10.0.2.15/24 via DHCP from 10.0.2.2, gateway 10.0.2.2
 * [    0.004900] www: FAT16 "WWW" 8 MiB mounted read-only
 * [    0.004950] libos: up in 4.950 ms
 * ```
 *
 * Only what the declarations import is linked: `@libos/boot` itself needs no network
 * stack or filesystem; `nic()` (from `@libos/boot/net`) brings @libos/net, `fatDisk()`
 * (from `@libos/boot/fs`) brings @libos/fs.
 *
 * If anything fails, every service already started is stopped and the machine closed
 * before the {@link BootError} is thrown.
 *
 * @typeParam S - the declarations
 * @param declarations - a name for each service the app wants
 * @param options - host, memory, boot log
 * @returns the running unikernel with a typed handle per service
 * @throws {@link BootError} `NO_HOST`, `NO_BACKEND`, `BAD_OPTION`, `MACHINE_FAILED`, `SERVICE_FAILED`
 * @example
 * ```ts
 * import { boot } from '@libos/boot';
 * import { nic } from '@libos/boot/net';
 * import { fatDisk } from '@libos/boot/fs';
 *
 * const os = await boot({ net: nic({ ipv4: 'dhcp' }), www: fatDisk({ readOnly: true }) });
 * const { net, www } = os.services;
 * const index = await www.fs.readFile('/index.html');
 * for await (const conn of net.stack.listenTcp({ port: 80 })) {
 *   await conn.write(index);
 *   await conn.end();
 * }
 * ```
 */
export async function boot<const S extends Declarations>(
  declarations: S,
  options: BootOptions = {},
): Promise<Unikernel<ServiceHandles<S>>> {
  const host = options.host ?? installedHost();
  if (host === undefined) {
    throw new BootError(
      'NO_HOST',
      'no host to boot on: start the app with `libos run`, or pass { host } to boot() (nodeHost() from @libos/boot/node, simulationHost() from @libos/boot)',
    );
  }
  const memoryBytes = options.memoryBytes ?? host.memoryBytes ?? DEFAULT_MEMORY_BYTES;
  const netPollInterval = options.netPollInterval ?? host.netPollInterval;
  const log = new BootLogWriter(host.clock, options.onLog ?? host.log?.bind(host));
  const entries = Object.entries(declarations);
  log.write(
    `libos: booting on ${host.name}: ${entries.map(([name, d]) => `${name} (${d.kind})`).join(', ') || 'no services'}`,
  );

  // Plan: the devices of each service, with backends from the declaration or the host.
  const kindCount = new Map<string, number>();
  const planned: {
    name: string;
    index: number;
    declaration: ServiceDeclaration<unknown>;
    devices: readonly DeviceSpec[];
  }[] = [];
  for (const [name, declaration] of entries) {
    const index = kindCount.get(declaration.kind) ?? 0;
    kindCount.set(declaration.kind, index + 1);
    let devices: readonly DeviceSpec[];
    try {
      devices = declaration.devices({ name, index, host });
    } catch (e) {
      throw asBootError(e, 'BAD_OPTION', name);
    }
    planned.push({ name, index, declaration, devices });
  }

  let machine: BootMachine;
  try {
    const machineOptions: BootMachineOptions = {
      memoryBytes,
      devices: planned.flatMap((p) => p.devices),
      ...(netPollInterval === undefined ? {} : { netPollInterval }),
      onLog: (line) => log.write(line),
    };
    machine = await (host.createMachine?.(machineOptions) ?? createMachineOf(machineOptions));
  } catch (e) {
    throw new BootError(
      'MACHINE_FAILED',
      `the machine could not be built: ${describeError(e)}`,
      null,
      e,
    );
  }

  const running: RunningService<unknown>[] = [];
  const stopAll = async (): Promise<void> => {
    for (const service of running.splice(0).reverse()) {
      try {
        await service.stop();
      } catch {
        // Keep stopping the rest; the machine still closes below.
      }
    }
    await machine.close();
  };
  const handles: Record<string, unknown> = {};
  const kernel = new UnikernelImpl<ServiceHandles<S>>({
    services: handles as ServiceHandles<S>,
    machine,
    host,
    bootLog: log.lines,
    stop: stopAll,
  });

  host.starting?.(kernel);

  // Start every service in order; those that need the network to come up (a DHCP
  // lease) finish in `ready` while the next ones start.
  let next = 0;
  const ready: Promise<void>[] = [];
  try {
    for (const p of planned) {
      const devices = machine.devices.slice(next, next + p.devices.length);
      next += p.devices.length;
      const context = {
        name: p.name,
        index: p.index,
        host,
        log: (line: string) => log.write(line),
        wake: () => kernel.wake(),
      };
      let service: RunningService<unknown>;
      try {
        service = await p.declaration.start(context, devices);
      } catch (e) {
        throw asBootError(e, 'SERVICE_FAILED', p.name);
      }
      running.push(service);
      handles[p.name] = service.handle;
      if (service.poller !== undefined) kernel.addPoller(service.poller);
      if (service.ready !== undefined) {
        ready.push(
          service.ready.catch((e: unknown) =>
            Promise.reject(asBootError(e, 'SERVICE_FAILED', p.name)),
          ),
        );
      }
    }
    await Promise.all(ready);
  } catch (e) {
    for (const r of ready) r.catch(() => {}); // the others' outcomes no longer matter
    await kernel.shutdown();
    throw e;
  }

  kernel.bootMicros = log.elapsed();
  log.write(`libos: up in ${(kernel.bootMicros / 1000).toFixed(3)} ms`);
  host.booted?.(kernel satisfies UnikernelControl);
  return kernel;
}

function asBootError(
  e: unknown,
  code: 'BAD_OPTION' | 'SERVICE_FAILED',
  service: string,
): BootError {
  if (e instanceof BootError) return e;
  return new BootError(code, `${service}: ${describeError(e)}`, service, e);
}
