/**
 * Test doubles for the block-layer tests: a device whose requests complete later, in an
 * order the test controls (by hand or by seed), and a small seeded PRNG.
 */
import type { BlockDevice } from '@libos/fs';
import { checkBlockRequest, type RamDisk } from '@libos/fs';

/** xorshift32: a tiny deterministic generator for test choices. */
export function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** Bytes that depend on a seed, for telling writes apart. */
export function fill(seed: number, length: number): Uint8Array {
  const next = rng(seed * 7919 + 1);
  return Uint8Array.from({ length }, () => next(256));
}

interface Pending {
  readonly op: 'read' | 'write' | 'flush' | 'discard';
  readonly sector: number;
  readonly count: number;
  complete(): void;
}

/**
 * A RAM disk whose requests complete only when released. Data moves at completion time
 * (write data is copied at submission). `mode: 'manual'` waits for {@link release};
 * `mode: 'shuffle'` completes a random pending request a few microtasks after each submission.
 */
export class DeferredDisk implements BlockDevice {
  readonly sectorSize: number;
  readonly sectorCount: number;
  readonly readOnly: boolean;
  readonly ram: RamDisk;
  readonly pending: Pending[] = [];
  readonly #mode: 'manual' | 'shuffle';
  readonly #next: (n: number) => number;

  constructor(ram: RamDisk, mode: 'manual' | 'shuffle' = 'shuffle', seed = 1) {
    this.ram = ram;
    this.sectorSize = ram.sectorSize;
    this.sectorCount = ram.sectorCount;
    this.readOnly = ram.readOnly;
    this.#mode = mode;
    this.#next = rng(seed);
  }

  read(sector: number, buffer: Uint8Array): Promise<void> {
    let count: number;
    try {
      count = checkBlockRequest(this, sector, buffer.length, 'read');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#submit('read', sector, count, () => this.ram.read(sector, buffer));
  }

  write(sector: number, data: Uint8Array): Promise<void> {
    let count: number;
    try {
      count = checkBlockRequest(this, sector, data.length, 'write');
    } catch (e) {
      return Promise.reject(e);
    }
    const copy = data.slice();
    return this.#submit('write', sector, count, () => this.ram.write(sector, copy));
  }

  flush(): Promise<void> {
    return this.#submit('flush', 0, 0, () => Promise.resolve());
  }

  discard(sector: number, count: number): Promise<void> {
    return this.#submit('discard', sector, count, () => this.ram.discard(sector, count));
  }

  /** Completes the pending request at `index` (default: the oldest). */
  release(index = 0): void {
    const [p] = this.pending.splice(index, 1);
    if (!p) throw new Error('nothing pending');
    p.complete();
  }

  #submit(
    op: Pending['op'],
    sector: number,
    count: number,
    run: () => Promise<void>,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ op, sector, count, complete: () => run().then(resolve, reject) });
      if (this.#mode === 'shuffle') {
        // After a few microtask hops, complete a random pending request (maybe another one).
        let hops = 1 + this.#next(4);
        const hop = (): void => {
          if (--hops > 0) queueMicrotask(hop);
          else if (this.pending.length > 0) this.release(this.#next(this.pending.length));
        };
        queueMicrotask(hop);
      }
    });
  }
}

/** Lets queued promise callbacks run. */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Releases `disk`'s requests (oldest first) until `p` settles; returns its outcome. */
export async function drive<T>(disk: DeferredDisk, p: Promise<T>, maxSteps = 1000): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  for (let i = 0; i < maxSteps && !done; i++) {
    await settle(1);
    if (disk.pending.length > 0) disk.release(0);
  }
  return watched;
}

/**
 * Index of the first byte where `a` and `b` differ, -1 when equal (a length mismatch
 * counts as a difference at the shorter length). Much faster than deep equality on
 * large typed arrays.
 */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
