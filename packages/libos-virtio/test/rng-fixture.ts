/** Shared setup of the virtio-rng tests: guest memory, an inline link and a recording backend. */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import { type EntropySource, SeededEntropy } from '@libos/sched';
import {
  DeviceModelCore,
  DeviceType,
  EntropyDeviceModel,
  type EntropyDeviceModelOptions,
  EntropyDriver,
  type EntropyDriverOptions,
  InlineLink,
} from '@libos/virtio';

export const BASE = 0x1000;

/** An EntropySource that records every byte it hands out and the size of every call. */
export class RecordingEntropy implements EntropySource {
  readonly calls: number[] = [];
  #bytes = new Uint8Array(1 << 16);
  #length = 0;
  readonly #inner: EntropySource;
  /** Throw on every call once this many bytes were drawn. */
  failAfter = Number.POSITIVE_INFINITY;

  constructor(inner: EntropySource) {
    this.#inner = inner;
  }

  fill(bytes: Uint8Array): void {
    if (this.#length + bytes.length > this.failAfter) throw new Error('backend exhausted');
    this.#inner.fill(bytes);
    this.calls.push(bytes.length);
    if (this.#length + bytes.length > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + bytes.length));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
    this.#bytes.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /** Everything drawn so far, in order. */
  drawn(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}

/** The stream a fresh SeededEntropy(seed) produces for the given sequence of call sizes. */
export function seededStream(seed: number, calls: readonly number[]): Uint8Array {
  const reference = new SeededEntropy(seed);
  const total = calls.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const n of calls) {
    reference.fill(out.subarray(at, at + n));
    at += n;
  }
  return out;
}

export function memoryAndLink() {
  const memory = new GuestMemory(1 << 22);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: (1 << 22) - 0x10000 });
  return { memory, link, dma };
}

export async function rngPair(
  seed = 7,
  driverOptions: Partial<EntropyDriverOptions> = {},
  deviceOptions: EntropyDeviceModelOptions = {},
) {
  const { memory, link, dma } = memoryAndLink();
  const backend = new RecordingEntropy(new SeededEntropy(seed));
  const device = new EntropyDeviceModel({ memory, base: BASE, link }, backend, deviceOptions);
  device.start();
  const failures: Error[] = [];
  const rng = await EntropyDriver.open({
    memory,
    dma,
    base: BASE,
    link,
    onFailure: (e) => failures.push(e),
    ...driverOptions,
  });
  return { memory, link, dma, backend, device, rng, failures };
}

/**
 * An entropy device that holds every request until `release` is called, then fills each
 * with consecutive counter bytes (or answers with `lengthOverride`).
 */
export function deferredEntropyDevice(placement: ReturnType<typeof memoryAndLink>) {
  let counter = 0;
  let lengthOverride: number | null = null;
  const core = new DeviceModelCore(
    { memory: placement.memory, base: BASE, link: placement.link },
    {
      deviceId: DeviceType.ENTROPY,
      features: 0n,
      queueMaxSizes: [64],
      config: new Uint8Array(0),
      serve: () => false, // leave requests available until release()
    },
  );
  core.start();
  return {
    core,
    setLength(len: number | null) {
      lengthOverride = len;
    },
    /** Answers every pending request; returns how many. */
    release(): number {
      const queue = core.queue(0);
      if (queue === null) return 0;
      let n = 0;
      for (let c = queue.popAvailable(); c !== null; c = queue.popAvailable()) {
        const len = lengthOverride ?? c.writableLength;
        const bytes = new Uint8Array(len).map(() => counter++ & 0xff);
        c.writeWritable(bytes);
        queue.pushUsed(c, len);
        n++;
      }
      core.completeQueue(0);
      return n;
    },
  };
}
