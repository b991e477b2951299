import {
  createStack,
  formatIpv4Address,
  formatMacAddress,
  type Ipv4Config,
  type NetDevice,
  type NetworkInterface,
  type Stack,
  type StackOptions,
} from '@libos/net';
import type { EntropySource, Micros } from '@libos/sched';
import { type NetDeviceSpec, type NetHandle, netDevice } from '@libos/virtio';
import { BootError } from '../boot-error.js';
import type { PlanContext, RunningService, ServiceDeclaration, StartContext } from '../service.js';

/**
 * Options of {@link nic}.
 *
 * @example
 * ```ts
 * import type { NicOptions } from '@libos/boot/net';
 * const options: NicOptions = { ipv4: { address: '10.0.0.2/24', gateway: '10.0.0.1' } };
 * ```
 */
export interface NicOptions {
  /** How the interface gets its IPv4 address; default `'dhcp'`. */
  readonly ipv4?: Ipv4Config;
  /** The far end of the link; default the host's backend for this NIC (`--net`). */
  readonly backend?: NetDevice;
  /** How long boot waits for a DHCP lease (ms of host time); default 10,000. */
  readonly dhcpTimeoutMs?: number;
  /** DNS servers; default those the DHCP lease names. */
  readonly dnsServers?: readonly string[];
  /** TCP tuning (buffers, congestion control, timers). */
  readonly tcp?: StackOptions['tcp'];
  /** virtio-net device options: MAC (default 52:54:00 and three random bytes), MTU, offloads, ring sizes. */
  readonly device?: Omit<NetDeviceSpec, 'kind' | 'backend' | 'deviceClass'>;
}

/**
 * What the app gets for a {@link nic}: the network stack on it, its interface, and the
 * virtio device underneath.
 *
 * @example
 * ```ts
 * const { net } = (await boot({ net: nic() })).services;
 * console.log(`listening on ${net.address}:80`);
 * const listener = net.stack.listenTcp({ port: 80 });
 * ```
 */
export interface NicHandle {
  /** The TCP/IP stack (`@libos/net`) on this NIC: listenTcp, connectTcp, bindUdp, ping, resolve. */
  readonly stack: Stack;
  /** The stack's interface on the NIC (`eth0`): address, MAC, ARP cache. */
  readonly interface: NetworkInterface;
  /** The interface's IPv4 address (dotted quad), or `undefined` while it has none. */
  readonly address: string | undefined;
  /** The virtio-net device: driver and model. */
  readonly device: NetHandle;
}

const DEFAULT_DHCP_TIMEOUT_MS = 10_000;

/**
 * Declares a network card with a TCP/IP stack on it: a virtio-net device whose backend
 * comes from the options or the host (`libos run --net user,…`), and a `@libos/net`
 * stack configured by DHCP (boot waits for the lease) or statically.
 *
 * @param options - addressing, backend, device and TCP options
 * @returns the declaration to pass to `boot()`
 * @example
 * ```ts
 * import { boot } from '@libos/boot';
 * import { nic } from '@libos/boot/net';
 * const os = await boot({ net: nic({ ipv4: 'dhcp' }) });
 * const conn = await os.services.net.stack.connectTcp({ address: '10.0.2.2', port: 8080 });
 * ```
 */
export function nic(options: NicOptions = {}): ServiceDeclaration<NicHandle> {
  const dhcpTimeoutMs = options.dhcpTimeoutMs ?? DEFAULT_DHCP_TIMEOUT_MS;
  if (!Number.isFinite(dhcpTimeoutMs) || dhcpTimeoutMs <= 0) {
    throw new BootError(
      'BAD_OPTION',
      `dhcpTimeoutMs must be a positive number, got ${dhcpTimeoutMs}`,
    );
  }
  return {
    kind: 'nic',
    devices(context: PlanContext): readonly NetDeviceSpec[] {
      const backend =
        options.backend ??
        context.host.netBackend?.({ service: context.name, index: context.index });
      if (backend === undefined) {
        throw new BootError(
          'NO_BACKEND',
          `${context.name}: NIC ${context.index} has no backend: run with \`libos run --net user\` (or --net stream,…), or give nic({ backend })`,
          context.name,
        );
      }
      // A fresh locally administered MAC per NIC (52:54:00 as QEMU), unless given.
      const mac = options.device?.mac ?? randomMac(context.host.entropy);
      return [netDevice({ ...options.device, backend, mac })];
    },
    start: (context, devices) => startNic(context, devices[0] as NetHandle, options, dhcpTimeoutMs),
  };
}

async function startNic(
  context: StartContext,
  device: NetHandle,
  options: NicOptions,
  dhcpTimeoutMs: number,
): Promise<RunningService<NicHandle>> {
  const { host, name } = context;
  const ipv4 = options.ipv4 ?? 'dhcp';
  const stack = createStack({
    devices: [device.driver],
    clock: host.clock,
    entropy: host.entropy,
    ipv4,
    ...(options.dnsServers === undefined ? {} : { dnsServers: options.dnsServers }),
    ...(options.tcp === undefined ? {} : { tcp: options.tcp }),
  });
  const iface = stack.interfaces[0]!;
  context.log(
    `${name}: ${iface.name} ${formatMacAddress(iface.macAddress)} mtu ${iface.mtu}, link ${device.driver.linkUp ? 'up' : 'down'}`,
  );

  // The lease arrives while the unikernel's poller polls the stack: wait for it there.
  let waiter: { deadline: Micros; resolve: () => void; reject: (e: Error) => void } | undefined;
  const poller = {
    poll(now: Micros): void {
      stack.poll(now);
      if (waiter === undefined) return;
      if (iface.ipv4 !== undefined) waiter.resolve();
      else if (now >= waiter.deadline) {
        waiter.reject(
          new BootError(
            'SERVICE_FAILED',
            `${name}: no DHCP lease within ${dhcpTimeoutMs} ms`,
            name,
          ),
        );
      } else return;
      waiter = undefined;
    },
    pollAt(): Micros | null {
      const at = stack.pollAt();
      if (waiter === undefined) return at;
      return at === null ? waiter.deadline : Math.min(at, waiter.deadline);
    },
  };
  const handle: NicHandle = {
    stack,
    interface: iface,
    get address() {
      return iface.ipv4 === undefined ? undefined : formatIpv4Address(iface.ipv4.address);
    },
    device,
  };
  if (iface.ipv4 !== undefined) {
    context.log(`${name}: ${iface.name} ${describeAddress(iface)} (static)`);
    return { handle, poller, stop: async () => {} };
  }
  const started = host.clock.now();
  const ready = new Promise<void>((resolve, reject) => {
    waiter = { deadline: started + dhcpTimeoutMs * 1000, resolve, reject };
  }).then(() => {
    const lease = stack.dhcpClient(iface)?.lease;
    const from = lease === undefined ? '' : ` from ${formatIpv4Address(lease.serverId)}`;
    const gateway = lease?.routers[0];
    const via = gateway === undefined ? '' : `, gateway ${formatIpv4Address(gateway)}`;
    const ms = ((host.clock.now() - started) / 1000).toFixed(3);
    context.log(
      `${name}: ${iface.name} ${describeAddress(iface)} by DHCP${from}${via} in ${ms} ms`,
    );
  });
  return { handle, poller, ready, stop: async () => {} };
}

function randomMac(entropy: EntropySource): Uint8Array {
  const mac = Uint8Array.of(0x52, 0x54, 0x00, 0, 0, 0);
  entropy.fill(mac.subarray(3));
  return mac;
}

function describeAddress(iface: NetworkInterface): string {
  const config = iface.ipv4;
  return config === undefined
    ? 'no address'
    : `${formatIpv4Address(config.address)}/${config.prefixLength}`;
}
