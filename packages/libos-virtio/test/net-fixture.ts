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
