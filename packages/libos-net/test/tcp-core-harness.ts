/**
 * Test harness of the TCP core: an in-memory "wire" that carries segments between two
 * TcpLayers under a VirtualClock (with seeded loss / duplication / reordering), and a
 * capture output plus a segment crafter for single-layer tests.
 */
import {
  emitTcpRepr,
  parseTcpRepr,
  seqAdd,
  type TcpConnection,
  TcpFlags,
  TcpLayer,
  type TcpLayerOptions,
  type TcpListener,
  type TcpOptions,
  type TcpOutput,
  type TcpRepr,
  TcpSegment,
} from '@libos/net';
import { SeededEntropy, VirtualClock } from '@libos/sched';

export const A = 0x0a000001; // 10.0.0.1
export const B = 0x0a000002; // 10.0.0.2

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A parsed copy of a segment the layer sent. */
export interface Sent {
  readonly source: number;
  readonly destination: number;
  readonly repr: TcpRepr;
  readonly payload: Uint8Array;
  readonly at: number;
}

export function parseSent(
  source: number,
  destination: number,
  bytes: Uint8Array,
  at: number,
): Sent {
  const segment = TcpSegment.check(bytes);
  if (typeof segment === 'string') throw new Error(`layer emitted a bad segment: ${segment}`);
  const repr = parseTcpRepr(segment, source, destination);
  if (typeof repr === 'string') throw new Error(`layer emitted a bad segment: ${repr}`);
  return { source, destination, repr, payload: segment.payload.slice(), at };
}

export interface WireFaults {
  /** Probability a segment is lost. */
  readonly loss?: number;
  /** Probability a segment is delivered twice. */
  readonly duplicate?: number;
  /** Probability a segment gets extra delay (and so is reordered). */
  readonly reorder?: number;
  /** Probability one byte of a segment is flipped (the TCP checksum must catch it). */
  readonly corrupt?: number;
}

interface InFlight {
  readonly at: number;
  readonly order: number;
  readonly to: TcpLayer;
  readonly source: number;
  readonly destination: number;
  readonly bytes: Uint8Array;
}

/** Two layers, A and B, joined by a wire with a one-way delay. */
export class TcpWire {
  readonly clock = new VirtualClock(0);
  readonly a: TcpLayer;
  readonly b: TcpLayer;
  readonly log: Sent[] = [];
  faults: WireFaults;
  delay: number;
  record = false;
  #queue: InFlight[] = [];
  #sleepers: { at: number; resolve: () => void }[] = [];
  #order = 0;
  readonly #rng: SeededEntropy;

  constructor(
    opts: {
      seed?: number;
      delay?: number;
      faults?: WireFaults;
      mtu?: number;
      a?: Partial<TcpLayerOptions>;
      b?: Partial<TcpLayerOptions>;
    } = {},
  ) {
    const seed = opts.seed ?? 1;
    this.#rng = new SeededEntropy(seed, 7);
    this.delay = opts.delay ?? 1000;
    this.faults = opts.faults ?? {};
    const mtu = opts.mtu ?? 1500;
    this.a = new TcpLayer({
      output: this.#output(A, () => this.b, mtu),
      entropy: new SeededEntropy(seed, 1),
      clock: this.clock,
      ...opts.a,
    });
    this.b = new TcpLayer({
      output: this.#output(B, () => this.a, mtu),
      entropy: new SeededEntropy(seed, 2),
      clock: this.clock,
      ...opts.b,
    });
  }

  #random(): number {
    return this.#rng.u32() / 2 ** 32;
  }

  #output(self: number, peer: () => TcpLayer, mtu: number): TcpOutput {
    return {
      route: () => ({ source: self, mtu }),
      send: (source, destination, length, write) => {
        const bytes = new Uint8Array(length);
        write(bytes, true);
        const now = this.clock.now();
        // Only A and B exist: anything else (replies to spoofed sources) vanishes.
        if (destination !== A && destination !== B) return true;
        if (this.record) this.log.push(parseSent(source, destination, bytes, now));
        const { loss = 0, duplicate = 0, reorder = 0, corrupt = 0 } = this.faults;
        if (loss > 0 && this.#random() < loss) return true;
        if (corrupt > 0 && this.#random() < corrupt) {
          const at = Math.floor(this.#random() * bytes.length);
          bytes[at] = bytes[at]! ^ (1 + Math.floor(this.#random() * 255));
        }
        const copies = duplicate > 0 && this.#random() < duplicate ? 2 : 1;
        for (let i = 0; i < copies; i++) {
          const extra =
            reorder > 0 && this.#random() < reorder
              ? Math.floor(this.#random() * 5 * this.delay)
              : 0;
          this.#queue.push({
            at: now + this.delay + extra,
            order: this.#order++,
            to: peer(),
            source,
            destination,
            bytes,
          });
        }
        return true;
      },
    };
  }

  /** Resolves after `micros` of virtual time. */
  sleep(micros: number): Promise<void> {
    return new Promise((resolve) =>
      this.#sleepers.push({ at: this.clock.now() + micros, resolve }),
    );
  }

  /** The next event time: a delivery or a timer. */
  nextEvent(): number | undefined {
    let at: number | undefined;
    for (const s of this.#sleepers) if (at === undefined || s.at < at) at = s.at;
    for (const s of this.#queue) if (at === undefined || s.at < at) at = s.at;
    for (const layer of [this.a, this.b]) {
      const t = layer.pollAt();
      if (t !== undefined && (at === undefined || t < at)) at = t;
    }
    return at;
  }

  /** Delivers everything due now and runs due timers. */
  step(): void {
    const now = this.clock.now();
    const due = this.#queue
      .filter((s) => s.at <= now)
      .sort((x, y) => x.at - y.at || x.order - y.order);
    this.#queue = this.#queue.filter((s) => s.at > now);
    for (const s of due) s.to.input(s.source, s.destination, s.bytes, false, now);
    this.a.poll(now);
    this.b.poll(now);
    const woken = this.#sleepers.filter((s) => s.at <= now);
    this.#sleepers = this.#sleepers.filter((s) => s.at > now);
    for (const s of woken) s.resolve();
  }

  /**
   * Runs the simulation, letting promise callbacks run between events, until `done()`
   * is true or nothing is left to do or `limit` µs of virtual time pass.
   */
  async run(done: () => boolean = () => false, limit = 600_000_000): Promise<void> {
    const end = this.clock.now() + limit;
    for (let i = 0; i < 1_000_000; i++) {
      this.step();
      await tick();
      if (done()) return;
      const next = this.nextEvent();
      if (next === undefined || next > end) return;
      this.clock.advanceTo(Math.max(next, this.clock.now()));
    }
    throw new Error('simulation did not settle in 1e6 steps');
  }

  /** Runs until `promise` settles; returns its value. */
  async until<T>(promise: Promise<T>, limit?: number): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    await this.run(() => settled, limit);
    if (!settled) throw new Error('promise did not settle');
    return watched;
  }
}

/** One layer whose output is captured; segments are injected with {@link Capture.inject}. */
export class Capture {
  readonly clock = new VirtualClock(0);
  readonly layer: TcpLayer;
  readonly sent: Sent[] = [];
  constructor(opts: Partial<TcpLayerOptions> = {}, mtu = 1500) {
    this.layer = new TcpLayer({
      output: {
        route: () => ({ source: A, mtu }),
        send: (source, destination, length, write) => {
          const bytes = new Uint8Array(length);
          write(bytes, true);
          this.sent.push(parseSent(source, destination, bytes, this.clock.now()));
          return true;
        },
      },
      entropy: new SeededEntropy(42, 1),
      clock: this.clock,
      ...opts,
    });
  }

  /** Removes and returns what was sent so far. */
  take(): Sent[] {
    return this.sent.splice(0);
  }

  /** Delivers a crafted segment from B to A. */
  inject(fields: Partial<TcpRepr> & { payload?: Uint8Array; options?: TcpOptions }): void {
    this.layer.input(B, A, craft(fields), false, this.clock.now());
  }

  /** Delivers raw segment bytes from B to A. */
  injectBytes(bytes: Uint8Array, checksumVerified = false): void {
    this.layer.input(B, A, bytes, checksumVerified, this.clock.now());
  }

  /** Advances virtual time to `at`, polling the layer at every timer on the way. */
  advanceTo(at: number): void {
    for (let i = 0; i < 100_000; i++) {
      const next = this.layer.pollAt();
      if (next === undefined || next > at) break;
      this.clock.advanceTo(Math.max(next, this.clock.now()));
      this.layer.poll(this.clock.now());
    }
    this.clock.advanceTo(Math.max(at, this.clock.now()));
    this.layer.poll(this.clock.now());
  }
}

/** Builds a segment from B:`sourcePort` to A:`destinationPort`. */
export function craft(
  fields: Partial<TcpRepr> & { payload?: Uint8Array; options?: TcpOptions },
  source = B,
  destination = A,
): Uint8Array {
  const payload = fields.payload ?? new Uint8Array(0);
  const repr: TcpRepr = {
    sourcePort: fields.sourcePort ?? 40000,
    destinationPort: fields.destinationPort ?? 80,
    sequenceNumber: fields.sequenceNumber ?? 0,
    acknowledgmentNumber: fields.acknowledgmentNumber ?? 0,
    flags: fields.flags ?? 0,
    window: fields.window ?? 65535,
    options: fields.options ?? {},
    payloadLength: payload.length,
  };
  const header = 20 + (repr.options === undefined ? 0 : 40);
  const buffer = new Uint8Array(header + payload.length);
  const probe = emitTcpRepr(repr, new Uint8Array(60), source, destination, { checksum: false });
  const bytes = buffer.subarray(0, probe + payload.length);
  bytes.set(payload, probe);
  emitTcpRepr(repr, bytes, source, destination);
  return bytes;
}

/** Deterministic test bytes. */
export function pattern(length: number, seed = 0): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Index of the first differing byte, or -1 when equal (fast for large arrays). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

const { SYN, ACK } = TcpFlags;

export interface Passive {
  readonly cap: Capture;
  readonly conn: TcpConnection;
  readonly listener: TcpListener;
  readonly iss: number;
  readonly irs: number;
  readonly synAck: Sent;
}

/** LISTEN on A:80, then a handshake from B:40000 with crafted segments. */
export async function passive(
  opts: {
    irs?: number;
    options?: TcpOptions;
    window?: number;
    capture?: ConstructorParameters<typeof Capture>[0];
  } = {},
): Promise<Passive> {
  const cap = new Capture(opts.capture);
  const listener = cap.layer.listen({ port: 80 });
  const irs = opts.irs ?? 1000;
  cap.inject({
    flags: SYN,
    sequenceNumber: irs,
    options: opts.options ?? { mss: 1460 },
    window: opts.window ?? 65535,
  });
  const [synAck] = cap.take();
  if (synAck === undefined) throw new Error('no SYN-ACK');
  const iss = synAck.repr.sequenceNumber;
  const ts = opts.options?.timestamps;
  cap.inject({
    flags: ACK,
    sequenceNumber: seqAdd(irs, 1),
    acknowledgmentNumber: seqAdd(iss, 1),
    window: opts.window ?? 65535,
    ...(ts
      ? {
          options: {
            timestamps: { value: ts.value + 1, echo: synAck.repr.options.timestamps?.value ?? 0 },
          },
        }
      : {}),
  });
  const conn = (await listener.accept()) as TcpConnection;
  return { cap, conn, listener, iss, irs, synAck };
}

/** connect() from A to B:80, answered by a crafted SYN-ACK. */
export async function active(
  opts: {
    irs?: number;
    options?: TcpOptions;
    window?: number;
    capture?: ConstructorParameters<typeof Capture>[0];
  } = {},
): Promise<{ cap: Capture; conn: TcpConnection; iss: number; irs: number; port: number }> {
  const cap = new Capture(opts.capture);
  const attempt = cap.layer.connect({ address: B, port: 80 });
  const [syn] = cap.take();
  if (syn === undefined) throw new Error('no SYN');
  const iss = syn.repr.sequenceNumber;
  const irs = opts.irs ?? 5000;
  const port = syn.repr.sourcePort;
  cap.inject({
    sourcePort: 80,
    destinationPort: port,
    flags: SYN | ACK,
    sequenceNumber: irs,
    acknowledgmentNumber: seqAdd(iss, 1),
    window: opts.window ?? 65535,
    options: opts.options ?? { mss: 1460 },
  });
  const conn = (await attempt) as TcpConnection;
  cap.take();
  return { cap, conn, iss, irs, port };
}
