/**
 * Where a {@link ConsoleDeviceModel} sends what the guest writes: the host end of the
 * console (a terminal, `process.stdout`, a test buffer).
 *
 * @example
 * ```ts
 * import type { ConsoleBackend } from '@libos/virtio';
 * const chunks: Uint8Array[] = [];
 * const backend: ConsoleBackend = { output: (bytes) => chunks.push(bytes.slice()) };
 * ```
 */
export interface ConsoleBackend {
  /**
   * Bytes the guest wrote through the transmitq (or one byte through `emerg_wr`), in
   * order. `bytes` is lent: valid only during the call — copy it to keep it. An
   * exception thrown here is counted (`outputErrors`) and the bytes are dropped; it
   * never reaches the guest.
   */
  output(bytes: Uint8Array): void;
}
