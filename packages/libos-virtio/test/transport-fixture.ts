import { GuestMemory } from '@libos/mem';
import {
  FeatureBit,
  featureMask,
  InlineLink,
  type MmioDeviceHandlers,
  MmioDeviceTransport,
  type MmioDriverHandlers,
  MmioDriverTransport,
  type MmioQueueSetup,
} from '@libos/virtio';

/** Guest memory size used by the transport tests: 1 MiB. */
export const MEMORY_SIZE = 1 << 20;
/** Where the register block lives. */
export const BLOCK_BASE = 0x1000;

/** Features the test device offers. */
export const OFFERED = featureMask(
  FeatureBit.VERSION_1,
  FeatureBit.EVENT_IDX,
  FeatureBit.INDIRECT_DESC,
  FeatureBit.RING_RESET,
);

/** A valid queue placement for queue `index` of `size` entries (rings from 0x10000 up). */
export function queueSetup(index: number, size: number): MmioQueueSetup {
  const start = 0x10000 + index * 0x10000;
  return {
    index,
    size,
    descriptorArea: start,
    driverArea: start + 0x8000,
    deviceArea: start + 0xc000,
  };
}

/** Options of {@link inlinePair}. */
export interface PairOptions {
  readonly deviceId?: number;
  readonly features?: bigint;
  readonly queueMaxSizes?: readonly number[];
  readonly config?: Uint8Array;
  readonly deviceHandlers?: MmioDeviceHandlers;
  readonly driverHandlers?: MmioDriverHandlers;
  /** Memory seen by the driver (default: the device's). Must wrap the same buffer. */
  readonly driverMemory?: (memory: GuestMemory) => GuestMemory;
  readonly configRetries?: number;
  /** Start the device watching its doorbells (default true). */
  readonly startDevice?: boolean;
}

/** A device and a driver joined by one inline link over fresh guest memory. */
export interface InlinePair {
  readonly memory: GuestMemory;
  readonly link: InlineLink;
  readonly device: MmioDeviceTransport;
  readonly driver: MmioDriverTransport;
}

/** Builds an inline device + driver pair; the driver listens for interrupts. */
export function inlinePair(options: PairOptions = {}): InlinePair {
  const memory = new GuestMemory(MEMORY_SIZE, { shared: false });
  const link = new InlineLink(memory);
  const device = new MmioDeviceTransport({
    memory,
    base: BLOCK_BASE,
    link,
    deviceId: options.deviceId ?? 4,
    features: options.features ?? OFFERED,
    queueMaxSizes: options.queueMaxSizes ?? [256, 128],
    config: options.config ?? new Uint8Array(16),
    handlers: options.deviceHandlers ?? {},
  });
  if (options.startDevice ?? true) device.start();
  const driver = new MmioDriverTransport({
    memory: options.driverMemory?.(memory) ?? memory,
    base: BLOCK_BASE,
    link,
    timeoutMs: 50,
    configRetries: options.configRetries ?? 8,
    handlers: options.driverHandlers ?? {},
  });
  driver.start();
  return { memory, link, device, driver };
}

/** Supported features of the test driver: everything but RING_RESET, plus an unoffered bit. */
export const SUPPORTED = featureMask(
  FeatureBit.VERSION_1,
  FeatureBit.EVENT_IDX,
  FeatureBit.RING_PACKED,
);
