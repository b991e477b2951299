/**
 * Shared setup of the virtio-net tests: a device model whose backend is one end of a
 * `createLink()` cable (the far end, `wire`, plays the network), and a driver opened on
 * it, both inline on one InlineLink.
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import { createLink, type LinkOptions } from '@libos/net';
import {
  DeviceType,
  DriverCore,
  InlineLink,
  VirtioNetDeviceModel,
  type VirtioNetDeviceModelOptions,
  VirtioNetDriver,
  type VirtioNetDriverOptions,
} from '@libos/virtio';

export const BASE = 0x1000;
const MEMORY = 16 << 20;

type DriverExtras = Omit<VirtioNetDriverOptions, 'memory' | 'dma' | 'base' | 'link'>;

export interface NetRigOptions {
  readonly model?: VirtioNetDeviceModelOptions;
  readonly driver?: DriverExtras;
  readonly link?: LinkOptions;
}

export function modelRig(options: NetRigOptions = {}) {
  const memory = new GuestMemory(MEMORY);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: MEMORY - 0x10000 });
  const [backend, wire] = createLink(options.link);
  const model = new VirtioNetDeviceModel({ memory, base: BASE, link }, backend, options.model);
  model.start();
  return { memory, link, dma, backend, wire, model };
}

export async function netRig(options: NetRigOptions = {}) {
  const rig = modelRig(options);
  const failures: Error[] = [];
  const driver = await VirtioNetDriver.open({
    memory: rig.memory,
    dma: rig.dma,
    base: BASE,
    link: rig.link,
    onFailure: (e) => failures.push(e),
    ...options.driver,
  });
  const settle = (): void => {
    rig.model.poll();
    driver.poll();
  };
  return { ...rig, driver, failures, settle };
}

/** A raw DriverCore on a virtio-net model, for writing chains by hand. */
export async function rawRig(options: NetRigOptions & { readonly features?: bigint } = {}) {
  const rig = modelRig(options);
  const failures: Error[] = [];
  const core = await DriverCore.open({
    memory: rig.memory,
    dma: rig.dma,
    base: BASE,
    link: rig.link,
    deviceId: DeviceType.NET,
    features: options.features ?? 0n,
    queueSizes: [16, 16],
    onFailure: (e) => failures.push(e),
  });
  return { ...rig, core, failures };
}

/** A deterministic test frame: Ethernet header (EtherType 0x88b5) + xorshift payload. */
export function testFrame(seed: number, length: number, dst: Uint8Array, src: Uint8Array) {
  const out = new Uint8Array(length);
  out.set(dst, 0);
  out.set(src, 6);
  out[12] = 0x88;
  out[13] = 0xb5;
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 14; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface TcpFrameOptions {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly payload: number;
  readonly seed?: number;
  /** Sequence number of the first payload byte. Default 0x1000. */
  readonly seq?: number;
  /** IPv4 identification. Default 0x1234. */
  readonly id?: number;
  /** TCP flags byte (RFC 9293 §3.1). Default ACK | PSH | FIN (0x19). */
  readonly flags?: number;
  /** Bytes of TCP options (multiple of 4). Default 0. */
  readonly tcpOptions?: number;
  /** Bytes of IPv4 options (multiple of 4). Default 0. */
  readonly ipOptions?: number;
}

/**
 * A TCP/IPv4 Ethernet frame built by hand (RFC 791 §3.1, RFC 9293 §3.1): IPv4 header
 * checksum correct, TCP checksum field left as garbage (0xdead) for the offload to fix.
 */
export function tcpFrame(o: TcpFrameOptions): Uint8Array {
  const ihl = 20 + (o.ipOptions ?? 0);
  const doff = 20 + (o.tcpOptions ?? 0);
  const total = ihl + doff + o.payload;
  const out = new Uint8Array(14 + total);
  out.set(o.dst, 0);
  out.set(o.src, 6);
  out[12] = 0x08;
  out[13] = 0x00;
  const ip = 14;
  out[ip] = 0x40 | (ihl / 4);
  out[ip + 2] = total >> 8;
  out[ip + 3] = total & 0xff;
  const id = o.id ?? 0x1234;
  out[ip + 4] = id >> 8;
  out[ip + 5] = id & 0xff;
  out[ip + 6] = 0x40; // DF
  out[ip + 8] = 64;
  out[ip + 9] = 6;
  out.set([10, 0, 0, 1, 10, 0, 0, 2], ip + 12);
  for (let i = 20; i < ihl; i++) out[ip + i] = 1; // NOP options
  const l4 = ip + ihl;
  out[l4] = 0x9c;
  out[l4 + 1] = 0x40; // port 40000
  out[l4 + 3] = 80;
  const seq = (o.seq ?? 0x1000) >>> 0;
  out[l4 + 4] = seq >>> 24;
  out[l4 + 5] = (seq >>> 16) & 0xff;
  out[l4 + 6] = (seq >>> 8) & 0xff;
  out[l4 + 7] = seq & 0xff;
  out[l4 + 11] = 1; // ack 1
  out[l4 + 12] = (doff / 4) << 4;
  out[l4 + 13] = o.flags ?? 0x19;
  out[l4 + 14] = 0xff;
  out[l4 + 15] = 0xff;
  out[l4 + 16] = 0xde;
  out[l4 + 17] = 0xad;
  for (let i = 20; i < doff; i++) out[l4 + i] = 1;
  let x = ((o.seed ?? 7) * 2654435761) >>> 0 || 1;
  for (let i = l4 + doff; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  let sum = 0;
  for (let i = 0; i < ihl; i += 2) sum += (out[ip + i]! << 8) | out[ip + i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  out[ip + 10] = c >> 8;
  out[ip + 11] = c & 0xff;
  return out;
}
