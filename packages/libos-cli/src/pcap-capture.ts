import { type FileHandle, open } from 'node:fs/promises';
import { type NetDevice, PcapFile, PcapWriter } from '@libos/net';

/** Bytes buffered before a write is started without waiting for the next turn. */
const HIGH_WATER = 256 * 1024;

/** Capture timestamps: microseconds since the Unix epoch, as pcap readers expect. */
const epochClock = { now: () => Math.round((performance.timeOrigin + performance.now()) * 1000) };

/** A backend that can say when frames arrive (the node host then polls at once). */
interface FrameSignal {
  waitForFrame(timeoutMs?: number): Promise<boolean>;
}

/** A {@link PcapWriter} that keeps its inner device's `waitForFrame`. */
class SignallingPcapWriter extends PcapWriter implements FrameSignal {
  readonly #signal: FrameSignal;

  constructor(inner: NetDevice & FrameSignal, file: PcapFile) {
    super(inner, { clock: epochClock, file });
    this.#signal = inner;
  }

  waitForFrame(timeoutMs?: number): Promise<boolean> {
    return this.#signal.waitForFrame(timeoutMs);
  }
}

/**
 * One pcap capture file (`libos run --pcap out.pcap`) shared by every NIC backend: each
 * frame the guest sends or receives is recorded with its time. Records are buffered and
 * appended to the file in the background; {@link PcapCapture.close} writes what is left
 * and closes the file.
 *
 * @example
 * ```ts
 * const capture = await PcapCapture.open('out.pcap');
 * const recorded = capture.wrap(network.guestPort); // give this to the NIC instead
 * // … after the backends are closed:
 * await capture.close();
 * ```
 */
export class PcapCapture {
  /** The capture format encoder. */
  readonly file: PcapFile;
  readonly #handle: FileHandle;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #writing: Promise<void> = Promise.resolve();
  #scheduled = false;
  #error: unknown;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
    this.file = new PcapFile((chunk) => this.#append(chunk));
  }

  /**
   * Creates (or truncates) the capture file and writes its header.
   *
   * @param path Where to write.
   * @returns The open capture.
   * @throws the `node:fs` error when the file cannot be created.
   */
  static async open(path: string): Promise<PcapCapture> {
    return new PcapCapture(await open(path, 'w'));
  }

  /**
   * Wraps a NIC backend so that every frame through it is recorded.
   *
   * @param device The backend.
   * @returns The recording backend, which still signals arriving frames if `device` did.
   */
  wrap(device: NetDevice): NetDevice {
    const signal = device as NetDevice & Partial<FrameSignal>;
    if (typeof signal.waitForFrame === 'function') {
      return new SignallingPcapWriter(signal as NetDevice & FrameSignal, this.file);
    }
    return new PcapWriter(device, { clock: epochClock, file: this.file });
  }

  /** Writes every buffered record and closes the file. */
  async close(): Promise<void> {
    this.#flush();
    await this.#writing;
    await this.#handle.close();
    if (this.#error !== undefined) throw this.#error;
  }

  #append(chunk: Uint8Array): void {
    // The chunk is lent (PcapSink): copy it.
    this.#pending.push(Buffer.from(chunk));
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= HIGH_WATER) this.#flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const data = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#writing = this.#writing.then(async () => {
      if (this.#error !== undefined) return;
      try {
        await this.#handle.write(data);
      } catch (e) {
        this.#error = e;
      }
    });
  }
}
