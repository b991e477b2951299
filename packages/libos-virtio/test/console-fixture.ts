/** Shared setup of the virtio-console tests: guest memory, inline link, a recording backend. */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  type ConsoleBackend,
  ConsoleDeviceModel,
  type ConsoleDeviceModelOptions,
  ConsoleDriver,
  type ConsoleDriverOptions,
  InlineLink,
} from '@libos/virtio';

export const BASE = 0x1000;

export class RecordingConsole implements ConsoleBackend {
  readonly chunks: Uint8Array[] = [];
  throwNext = 0;

  output(bytes: Uint8Array): void {
    if (this.throwNext > 0) {
      this.throwNext--;
      throw new Error('terminal gone');
    }
    this.chunks.push(bytes.slice());
  }

  /** Everything output so far, concatenated. */
  bytes(): Uint8Array {
    return concat(this.chunks);
  }
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** `n` bytes of a recognisable pattern starting at `start`. */
export function pattern(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i * 7 + (i >> 8)) & 0xff);
}

export function consoleDevice(options: ConsoleDeviceModelOptions = {}) {
  const memory = new GuestMemory(1 << 22);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: (1 << 22) - 0x10000 });
  const backend = new RecordingConsole();
  const device = new ConsoleDeviceModel({ memory, base: BASE, link }, backend, options);
  device.start();
  return { memory, link, dma, backend, device };
}

export async function openConsole(
  setup: ReturnType<typeof consoleDevice>,
  options: Partial<ConsoleDriverOptions> = {},
) {
  const failures: Error[] = [];
  const tty = await ConsoleDriver.open({
    memory: setup.memory,
    dma: setup.dma,
    base: BASE,
    link: setup.link,
    onFailure: (e) => failures.push(e),
    ...options,
  });
  return { tty, failures };
}

/** Reads chunks until `n` bytes arrived. */
export async function readBytes(tty: ConsoleDriver, n: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const c = await tty.read();
    chunks.push(c);
    got += c.length;
  }
  return concat(chunks);
}
