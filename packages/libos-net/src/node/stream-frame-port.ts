import type { Socket } from 'node:net';
import type { FrameFiller } from '../net-device.js';
import { FramePortError } from './frame-port-error.js';
import {
  ETHERNET_HEADER_BYTES,
  HostFramePort,
  type HostFramePortOptions,
} from './host-frame-port.js';
import {
  LENGTH_PREFIX_BYTES,
  LengthPrefixDecoder,
  writeLengthPrefix,
} from './length-prefix-decoder.js';

/**
 * Options of a {@link StreamFramePort}.
 *
 * @example
 * ```ts
 * import type { StreamFramePortOptions } from '@libos/net/node';
 * const options: StreamFramePortOptions = { whenReceiveQueueFull: 'drop' };
 * ```
 */
export interface StreamFramePortOptions extends HostFramePortOptions {
  /**
   * What happens when the receive queue is full: `'pause'` (default) stops reading the
   * socket until `receive` makes room, so the peer feels back-pressure and nothing is
   * lost; `'drop'` keeps reading and discards (and counts) frames, like a NIC whose ring
   * is full.
   */
  readonly whenReceiveQueueFull?: 'pause' | 'drop';
  /**
   * `transmit` returns false once this many bytes are waiting to be written (our
   * pending batch plus the socket's own buffer). Default 64 KiB. At least one maximum
   * frame plus its prefix.
   */
  readonly transmitHighWaterBytes?: number;
}

/** Bytes of each transmit batch buffer; frames are appended until it is written out. */
const BATCH_BYTES = 128 * 1024;

/**
 * A {@link NetDevice} over a byte stream (unix or TCP socket) using QEMU's
 * `-netdev stream` framing: each Ethernet frame is preceded by its length as 4
 * big-endian bytes. Frames transmitted in one synchronous burst are batched into one
 * socket write (flushed in a microtask). Received frames queue up (bounded) until
 * `receive` takes them; {@link HostFramePort.waitForFrame} lets a poll loop sleep.
 *
 * Create one with {@link connectStreamFramePort}, or accept one from
 * {@link listenStreamFramePort}.
 *
 * @example
 * ```ts
 * import { listenStreamFramePort } from '@libos/net/node';
 * const listener = await listenStreamFramePort({ path: '/tmp/qemu-net.sock' });
 * // qemu-system-x86_64 ... -netdev stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/qemu-net.sock
 * const port = await listener.accept(10_000);
 * await port.waitForFrame(1000);
 * port.receive((frame) => console.log(frame.length), 64);
 * ```
 */
export class StreamFramePort extends HostFramePort {
  readonly #socket: Socket;
  readonly #decoder: LengthPrefixDecoder;
  readonly #drop: boolean;
  readonly #highWater: number;
  #paused = false;
  /** Chunks read but not yet handed to the decoder (only while paused). */
  readonly #backlog: Uint8Array[] = [];
  /** Frames decoded at end-of-stream beyond the queue's capacity (pause mode). */
  readonly #afterEnd: Uint8Array[] = [];
  #batch = new Uint8Array(BATCH_BYTES);
  #batchStart = 0;
  #batchEnd = 0;
  #flushQueued = false;
  #closing: Promise<void> | undefined;

  /**
   * Wraps a connected socket. Prefer the factories; this is for sockets made elsewhere.
   *
   * @param socket - a connected stream socket; the port owns it from now on
   * @param options - see {@link StreamFramePortOptions}
   */
  constructor(socket: Socket, options: StreamFramePortOptions = {}) {
    super(options);
    this.#socket = socket;
    this.#decoder = new LengthPrefixDecoder(this.maxReceiveLength);
    this.#drop = options.whenReceiveQueueFull === 'drop';
    this.#highWater = options.transmitHighWaterBytes ?? 64 * 1024;
    if (
      !Number.isInteger(this.#highWater) ||
      this.#highWater < this.maxTransmitLength + LENGTH_PREFIX_BYTES
    ) {
      throw new FramePortError(
        'BAD_OPTION',
        `transmitHighWaterBytes must be an integer ≥ ${this.maxTransmitLength + LENGTH_PREFIX_BYTES}`,
      );
    }
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (e) => this.#fail(new FramePortError('SOCKET_ERROR', e.message, e)));
    socket.on('close', () => this.markClosed());
  }

  /** Bytes accepted by `transmit` but not yet written to the operating system. */
  get pendingTransmitBytes(): number {
    return this.#batchEnd - this.#batchStart + this.#socket.writableLength;
  }

  /** {@inheritDoc NetDevice.transmit} */
  transmit(length: number, fill: FrameFiller): boolean {
    const need = LENGTH_PREFIX_BYTES + length;
    if (
      this.isClosed ||
      this.#closing !== undefined ||
      length < ETHERNET_HEADER_BYTES ||
      length > this.maxTransmitLength ||
      this.pendingTransmitBytes + need > this.#highWater
    ) {
      this.stats.transmitRefused++;
      return false;
    }
    if (this.#batch.length - this.#batchEnd < need) {
      this.#flush();
      this.#batch = new Uint8Array(BATCH_BYTES);
      this.#batchStart = 0;
      this.#batchEnd = 0;
    }
    const at = this.#batchEnd;
    fill(this.#batch.subarray(at + LENGTH_PREFIX_BYTES, at + need));
    writeLengthPrefix(this.#batch, at, length);
    this.#batchEnd = at + need;
    this.stats.framesTransmitted++;
    this.stats.bytesTransmitted += length;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
    return true;
  }

  /**
   * Writes out everything transmitted so far, then closes the connection (half-close
   * first, so the peer sees the last frames). Resolves when the socket is closed.
   * Frames already received stay receivable. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#flush();
      const socket = this.#socket;
      if (socket.destroyed) this.markClosed();
      else socket.end(() => socket.destroy());
      this.#closing = this.closed;
    }
    return this.#closing;
  }

  /** Hands the pending batch to the socket (one write for the whole burst). */
  #flush(): void {
    this.#flushQueued = false;
    if (this.#batchEnd === this.#batchStart || this.#socket.destroyed) return;
    this.#socket.write(this.#batch.subarray(this.#batchStart, this.#batchEnd));
    // The socket keeps a reference to the written range; later frames go after it.
    this.#batchStart = this.#batchEnd;
  }

  #onData(chunk: Buffer): void {
    if (this.isClosed) return;
    // Receivers get plain Uint8Array views: Buffer#slice would not copy.
    this.#backlog.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#decode();
  }

  /** Moves decoded frames into the queue until the data runs out or the queue fills. */
  #decode(): void {
    for (;;) {
      if (!this.#drop && this.queue.full) {
        if (this.#hasUnconsumed() && !this.#paused) {
          this.#paused = true;
          this.#socket.pause();
        }
        return;
      }
      const frame = this.#nextFrame();
      if (frame === undefined) break;
      if (!this.enqueue(frame)) this.stats.receiveDropped++;
    }
    if (this.#paused) {
      this.#paused = false;
      if (!this.isClosed) this.#socket.resume();
    }
  }

  #hasUnconsumed(): boolean {
    return this.#decoder.hasUnconsumed || this.#backlog.length > 0;
  }

  /** The next whole frame from the bytes read so far; undefined if none (or on error). */
  #nextFrame(): Uint8Array | undefined {
    for (;;) {
      const outcome = this.#decoder.next();
      if (outcome === 'need-more') {
        const chunk = this.#backlog.shift();
        if (chunk === undefined) return undefined;
        this.#decoder.push(chunk);
        continue;
      }
      if (outcome === 'too-long') {
        this.#backlog.length = 0;
        this.#fail(
          new FramePortError(
            'FRAME_TOO_LONG',
            `peer announced a ${this.#decoder.lastAnnouncedLength}-byte frame; limit ${this.maxReceiveLength}`,
          ),
        );
        return undefined;
      }
      return outcome;
    }
  }

  protected override refill(): Uint8Array | undefined {
    while (this.#afterEnd.length > 0) {
      const frame = this.#afterEnd.shift()!;
      if (frame.length >= ETHERNET_HEADER_BYTES) return frame;
      this.stats.runts++;
    }
    if (!this.#paused || this.isClosed) return undefined;
    for (;;) {
      const frame = this.#nextFrame();
      if (frame === undefined) return undefined;
      if (frame.length >= ETHERNET_HEADER_BYTES) return frame;
      this.stats.runts++;
    }
  }

  protected override queueDrained(): void {
    while (this.#afterEnd.length > 0 && !this.queue.full) this.enqueue(this.#afterEnd.shift()!);
    if (this.#paused && !this.isClosed) this.#decode();
  }

  /**
   * The peer finished sending. Bytes still held back by a full queue are decoded now
   * (no more will come, so this is bounded by what was already read); a frame left
   * incomplete is a protocol error.
   */
  #onEnd(): void {
    if (this.isClosed) return;
    for (;;) {
      const frame = this.#nextFrame();
      if (frame === undefined) break;
      if (this.#afterEnd.length > 0 || this.queue.full) this.#afterEnd.push(frame);
      else this.enqueue(frame);
    }
    this.#paused = false;
    if (this.isClosed) return; // a too-long frame in the tail
    if (this.#decoder.midFrame) {
      this.#fail(new FramePortError('TRUNCATED_FRAME', 'peer closed the stream inside a frame'));
    }
  }

  #fail(error: FramePortError): void {
    if (this.isClosed) return;
    this.markClosed(error);
    this.#socket.destroy();
  }
}
