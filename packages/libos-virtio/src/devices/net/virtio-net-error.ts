/**
 * Why a virtio-net call was refused: always caller misuse, never the other side's input.
 *
 * @example
 * ```ts
 * import type { VirtioNetErrorCode } from '@libos/virtio';
 * const code: VirtioNetErrorCode = 'BAD_OPTION';
 * ```
 */
export type VirtioNetErrorCode =
  /** An option is out of range (MTU, MAC length, queue size, receive buffer size). */
  | 'BAD_OPTION'
  /** The DMA allocator has no room for the receive or transmit buffers. */
  | 'NO_MEMORY';

/**
 * Error of the virtio-net driver and device model, with a stable {@link VirtioNetErrorCode}.
 *
 * @example
 * ```ts
 * import { VirtioNetError } from '@libos/virtio';
 * try {
 *   await VirtioNetDriver.open({ memory, dma, base, link, rxBufferSize: 4 });
 * } catch (e) {
 *   if (e instanceof VirtioNetError && e.code === 'BAD_OPTION') console.log(e.message);
 * }
 * ```
 */
export class VirtioNetError extends Error {
  /** Stable machine-readable reason. */
  readonly code: VirtioNetErrorCode;

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   */
  constructor(code: VirtioNetErrorCode, message: string) {
    super(message);
    this.name = 'VirtioNetError';
    this.code = code;
  }
}
