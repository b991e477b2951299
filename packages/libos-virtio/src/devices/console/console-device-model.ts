import { ByteRing } from '@libos/mem';
import { DeviceModelCore, type DeviceModelPlacement } from '../../core/device-model-core.js';
import { DeviceType } from '../../device-type.js';
import { featureMask } from '../../feature-bits.js';
import { DescriptorChain } from '../../queue/descriptor-chain.js';
import type { SplitQueueDevice } from '../../queue/split-queue-device.js';
import type { ConsoleBackend } from './console-backend.js';
import {
  CONSOLE_CONFIG_SIZE,
  ConsoleConfigOffset,
  ConsoleFeature,
  ConsoleQueue,
  type ConsoleSize,
} from './console-constants.js';
import { ConsoleError } from './console-error.js';

/**
 * Options of a {@link ConsoleDeviceModel}.
 *
 * @example
 * ```ts
 * import type { ConsoleDeviceModelOptions } from '@libos/virtio';
 * const options: ConsoleDeviceModelOptions = { size: { cols: 80, rows: 25 }, inputCapacity: 8192 };
 * ```
 */
export interface ConsoleDeviceModelOptions {
  /** Offer VIRTIO_CONSOLE_F_SIZE with this initial size (§5.3.4); omitted: not offered. */
  readonly size?: ConsoleSize;
  /** QueueNumMax of both queues (power of two ≤ 32768; default 256). */
  readonly queueMaxSize?: number;
  /** Bytes of host input held until the guest posts receive buffers (default 4096). */
  readonly inputCapacity?: number;
}

/**
 * Counters of a {@link ConsoleDeviceModel} since construction.
 *
 * @example
 * ```ts
 * const { inputDropped } = device.stats();
 * ```
 */
export interface ConsoleDeviceStats {
  /** Host input bytes accepted by {@link ConsoleDeviceModel.input}. */
  readonly inputBytes: number;
  /** Host input bytes dropped because the bounded input queue was full. */
  readonly inputDropped: number;
  /** Input bytes delivered into guest receive buffers. */
  readonly receivedBytes: number;
  /** Guest output bytes passed to the backend (transmitq and emergency writes). */
  readonly outputBytes: number;
  /** Emergency writes (`emerg_wr`) seen. */
  readonly emergencyWrites: number;
  /** Backend `output` calls that threw (their bytes were dropped). */
  readonly outputErrors: number;
}

/** Bytes copied per step between guest buffers and the backend. */
const CHUNK = 4096;

/**
 * The device ("hypervisor") side of a single-port virtio console (virtio 1.2 §5.3),
 * without VIRTIO_CONSOLE_F_MULTIPORT: queue 0 receiveq(port0), queue 1 transmitq(port0).
 *
 * - **Output**: every device-readable chain on the transmitq is passed to
 *   {@link ConsoleBackend.output} in order (in chunks of up to 4096 bytes) and returned
 *   with length 0.
 * - **Input**: {@link ConsoleDeviceModel.input} queues host bytes in a bounded ring
 *   (`inputCapacity`); they go into the guest's receive buffers in order as soon as
 *   there are some (§5.3.6). Bytes that do not fit are dropped and counted
 *   (`inputDropped`) — the host is never blocked and memory stays bounded. Receive
 *   buffers stay available (not used) while there is no input.
 * - **Size**: with `options.size` the device offers VIRTIO_CONSOLE_F_SIZE and keeps
 *   `cols`/`rows` in configuration space; {@link ConsoleDeviceModel.resize} changes them
 *   and raises a configuration change notification.
 * - **Hostile driver**: a device-writable descriptor on the transmitq or a
 *   device-readable one on the receiveq breaks §5.3.6.1: a `BAD_REQUEST` violation —
 *   the queue stops, the device sets DEVICE_NEEDS_RESET, nothing is output or written,
 *   nothing throws.
 * - **Emergency write** (VIRTIO_CONSOLE_F_EMERG_WRITE): a 4-byte driver write to
 *   `emerg_wr` outputs one character, even before the queues are set up
 *   ({@link ConsoleDeviceModel.configWrite}).
 *
 * The constructor takes `(placement, backend, options)` and touches nothing else, so
 * the model can equally be built inside a worker thread on shared guest memory.
 *
 * @example
 * ```ts
 * import { GuestMemory } from '@libos/mem';
 * import { ConsoleDeviceModel, InlineLink } from '@libos/virtio';
 * const memory = new GuestMemory(1 << 20);
 * const link = new InlineLink(memory);
 * const device = new ConsoleDeviceModel({ memory, base: 0x1000, link },
 *   { output: (bytes) => process.stdout.write(bytes.slice()) }, { size: { cols: 80, rows: 25 } });
 * device.start();
 * device.input(new TextEncoder().encode('ls\n'));
 * ```
 */
export class ConsoleDeviceModel {
  /** The shared device machinery: transport, queues, violation handling. */
  readonly core: DeviceModelCore;
  /** Whether VIRTIO_CONSOLE_F_SIZE is offered. */
  readonly offersSize: boolean;

  readonly #backend: ConsoleBackend;
  readonly #input: ByteRing;
  readonly #scratch = new Uint8Array(CHUNK);
  readonly #one = new Uint8Array(1);
  #rxChain: DescriptorChain | null = null;
  #txChain: DescriptorChain | null = null;
  #inputBytes = 0;
  #inputDropped = 0;
  #receivedBytes = 0;
  #outputBytes = 0;
  #emergencyWrites = 0;
  #outputErrors = 0;

  /**
   * @param placement - guest memory, register block address and link
   * @param backend - where guest output goes
   * @param options - size, queue size, input capacity
   * @throws {@link ConsoleError} `BAD_ARGUMENT` for a bad size or input capacity
   */
  constructor(
    placement: DeviceModelPlacement,
    backend: ConsoleBackend,
    options: ConsoleDeviceModelOptions = {},
  ) {
    const capacity = options.inputCapacity ?? 4096;
    if (!(Number.isSafeInteger(capacity) && capacity > 0)) {
      throw new ConsoleError(
        'BAD_ARGUMENT',
        `inputCapacity must be a positive integer, not ${capacity}`,
      );
    }
    if (options.size !== undefined) checkSize(options.size);
    this.#backend = backend;
    this.#input = new ByteRing(new Uint8Array(capacity));
    this.offersSize = options.size !== undefined;
    const config = new Uint8Array(CONSOLE_CONFIG_SIZE);
    const view = new DataView(config.buffer);
    // virtio 1.2 §5.3.4: le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr.
    view.setUint16(ConsoleConfigOffset.COLS, options.size?.cols ?? 0, true);
    view.setUint16(ConsoleConfigOffset.ROWS, options.size?.rows ?? 0, true);
    view.setUint32(ConsoleConfigOffset.MAX_NR_PORTS, 1, true);
    const maxSize = options.queueMaxSize ?? 256;
    this.core = new DeviceModelCore(placement, {
      deviceId: DeviceType.CONSOLE, // §5.3.1
      // §5.3.3: SIZE when a size is configured; EMERG_WRITE always.
      features:
        (this.offersSize ? featureMask(ConsoleFeature.SIZE) : 0n) |
        featureMask(ConsoleFeature.EMERG_WRITE),
      queueMaxSizes: [maxSize, maxSize], // §5.3.2: receiveq(port0), transmitq(port0)
      config,
      serve: (index, queue) => {
        if (index === ConsoleQueue.RECEIVE) return this.#serveReceive(queue);
        if (index === ConsoleQueue.TRANSMIT) return this.#serveTransmit(queue);
        return true;
      },
      onConfigWrite: (offset, width, value) => this.configWrite(offset, width, value),
    });
  }

  /** Starts watching the doorbells. */
  start(): void {
    this.core.start();
  }

  /** Stops watching the doorbells. */
  stop(): void {
    this.core.stop();
  }

  /** Host input bytes waiting for guest receive buffers. */
  get pendingInput(): number {
    return this.#input.readable;
  }

  /**
   * Queues host input (keyboard, stdin) for the guest and delivers what fits into the
   * receive buffers it has posted. Bytes beyond what those buffers and the free space
   * of the bounded input queue can take are dropped and counted in `inputDropped`.
   *
   * @param bytes - input bytes, in order (copied)
   * @returns bytes accepted (the rest were dropped)
   * @example
   * ```ts
   * process.stdin.on('data', (chunk) => device.input(chunk));
   * ```
   */
  input(bytes: Uint8Array): number {
    const input = this.#input;
    let accepted = 0;
    // Queue what fits, hand it to posted receive buffers, repeat while that makes room:
    // each round delivers at least one byte into a guest buffer, so this ends.
    for (;;) {
      accepted += input.write(bytes.subarray(accepted));
      const before = input.readable;
      if (before > 0) this.core.serveQueue(ConsoleQueue.RECEIVE);
      if (accepted === bytes.length || input.readable === before) break;
    }
    this.#inputBytes += accepted;
    this.#inputDropped += bytes.length - accepted;
    return accepted;
  }

  /**
   * Changes `cols`/`rows` in configuration space (as a seqlock) and raises a
   * configuration change notification (§5.3.4, §4.2.2).
   *
   * @param size - the new size
   * @throws {@link ConsoleError} `NOT_NEGOTIATED` when the device was created without a
   *   size (VIRTIO_CONSOLE_F_SIZE not offered); `BAD_ARGUMENT` for values outside 0..65535
   * @example
   * ```ts
   * process.stdout.on('resize', () => device.resize({ cols: process.stdout.columns, rows: process.stdout.rows }));
   * ```
   */
  resize(size: ConsoleSize): void {
    if (!this.offersSize) {
      throw new ConsoleError(
        'NOT_NEGOTIATED',
        'the console was created without a size (VIRTIO_CONSOLE_F_SIZE)',
      );
    }
    checkSize(size);
    const bytes = new Uint8Array(4);
    const view = new DataView(bytes.buffer);
    view.setUint16(0, size.cols, true);
    view.setUint16(2, size.rows, true);
    this.core.transport.updateConfig(ConsoleConfigOffset.COLS, bytes);
  }

  /**
   * Handles a driver write to configuration space — the `onConfigWrite` hook of the
   * MMIO transport. A 4-byte write to `emerg_wr` outputs its low byte as one character
   * (VIRTIO_CONSOLE_F_EMERG_WRITE, §5.3.4); every other write is refused.
   *
   * @param offset - byte offset in configuration space
   * @param width - access width
   * @param value - value written
   * @returns `true` when the write was accepted
   * @example
   * ```ts
   * device.configWrite(ConsoleConfigOffset.EMERG_WR, 4, 0x41); // outputs "A"
   * ```
   */
  configWrite(offset: number, width: 1 | 2 | 4, value: number): boolean {
    if (offset !== ConsoleConfigOffset.EMERG_WR || width !== 4) return false;
    this.#emergencyWrites++;
    this.#one[0] = value & 0xff;
    this.#emit(this.#one);
    return true;
  }

  /**
   * Counters since construction.
   *
   * @returns a fresh snapshot
   * @example
   * ```ts
   * if (device.stats().inputDropped > 0) console.warn('console input overflowed');
   * ```
   */
  stats(): ConsoleDeviceStats {
    return {
      inputBytes: this.#inputBytes,
      inputDropped: this.#inputDropped,
      receivedBytes: this.#receivedBytes,
      outputBytes: this.#outputBytes,
      emergencyWrites: this.#emergencyWrites,
      outputErrors: this.#outputErrors,
    };
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  /** receiveq: fill posted buffers with pending input; leave them available otherwise. */
  #serveReceive(queue: SplitQueueDevice): boolean {
    this.#rxChain ??= new DescriptorChain(queue.memory);
    const chain = this.#rxChain;
    const input = this.#input;
    while (input.readable > 0) {
      if (queue.popAvailable(chain) === null) return true;
      // virtio 1.2 §5.3.6.1: the driver MUST NOT put a device-readable buffer in a receiveq.
      if (chain.readableCount > 0) {
        queue.reportViolation(
          'BAD_REQUEST',
          `receiveq chain ${chain.head} has ${chain.readableCount} device-readable descriptor(s) (§5.3.6.1)`,
        );
        return true;
      }
      const total = Math.min(chain.writableLength, input.readable);
      let written = 0;
      while (written < total) {
        const part = this.#scratch.subarray(0, Math.min(CHUNK, total - written));
        const n = input.peek(part);
        if (!chain.writeWritable(part.subarray(0, n), written)) return true; // reported
        input.discard(n);
        written += n;
      }
      queue.pushUsed(chain, written);
      this.#receivedBytes += written;
    }
    // No more input: receive buffers stay posted until some arrives (§5.3.6).
    return false;
  }

  /** transmitq: pass each chain's bytes to the backend, return it with length 0. */
  #serveTransmit(queue: SplitQueueDevice): boolean {
    this.#txChain ??= new DescriptorChain(queue.memory);
    const chain = this.#txChain;
    while (queue.popAvailable(chain) !== null) {
      // virtio 1.2 §5.3.6.1: the driver MUST NOT put a device-writable buffer in a transmitq.
      if (chain.writableCount > 0) {
        queue.reportViolation(
          'BAD_REQUEST',
          `transmitq chain ${chain.head} has ${chain.writableCount} device-writable descriptor(s) (§5.3.6.1)`,
        );
        return true;
      }
      const total = chain.readableLength;
      for (let offset = 0; offset < total; ) {
        const n = chain.readReadable(this.#scratch, offset);
        if (n === 0) break;
        this.#emit(this.#scratch.subarray(0, n));
        offset += n;
      }
      queue.pushUsed(chain, 0);
    }
    return true;
  }

  #emit(bytes: Uint8Array): void {
    try {
      this.#backend.output(bytes);
      this.#outputBytes += bytes.length;
    } catch {
      this.#outputErrors++;
    }
  }
}

function checkSize(size: ConsoleSize): void {
  const ok = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 0xffff;
  if (!(ok(size.cols) && ok(size.rows))) {
    throw new ConsoleError(
      'BAD_ARGUMENT',
      `console size ${size.cols}x${size.rows} is not two u16 values`,
    );
  }
}
