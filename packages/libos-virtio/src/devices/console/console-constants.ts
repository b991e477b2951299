/**
 * Feature bits of the console device (virtio 1.2 §5.3.3).
 *
 * @example
 * ```ts
 * import { ConsoleFeature, featureMask } from '@libos/virtio';
 * const wanted = featureMask(ConsoleFeature.SIZE);
 * ```
 */
export const ConsoleFeature = {
  /** VIRTIO_CONSOLE_F_SIZE: `cols` and `rows` are valid. */
  SIZE: 0,
  /** VIRTIO_CONSOLE_F_MULTIPORT: multiple ports and the control queues (not implemented by libos). */
  MULTIPORT: 1,
  /** VIRTIO_CONSOLE_F_EMERG_WRITE: a write to `emerg_wr` outputs one character. */
  EMERG_WRITE: 2,
} as const;

/**
 * Byte offsets of the fields of `struct virtio_console_config` (virtio 1.2 §5.3.4):
 * `le16 cols; le16 rows; le32 max_nr_ports; le32 emerg_wr;`.
 *
 * @example
 * ```ts
 * import { ConsoleConfigOffset } from '@libos/virtio';
 * const cols = new DataView(config.buffer).getUint16(ConsoleConfigOffset.COLS, true);
 * ```
 */
export const ConsoleConfigOffset = {
  /** le16: columns of the console (valid with VIRTIO_CONSOLE_F_SIZE). */
  COLS: 0,
  /** le16: rows of the console (valid with VIRTIO_CONSOLE_F_SIZE). */
  ROWS: 2,
  /** le32: maximum number of ports (valid with VIRTIO_CONSOLE_F_MULTIPORT). */
  MAX_NR_PORTS: 4,
  /** le32, write-only: emergency write register (valid with VIRTIO_CONSOLE_F_EMERG_WRITE). */
  EMERG_WR: 8,
} as const;

/**
 * Size in bytes of the console configuration space libos devices expose (all four fields).
 *
 * @example
 * ```ts
 * import { CONSOLE_CONFIG_SIZE } from '@libos/virtio';
 * const config = new Uint8Array(CONSOLE_CONFIG_SIZE);
 * ```
 */
export const CONSOLE_CONFIG_SIZE = 12;

/**
 * Queue indices of port 0 (virtio 1.2 §5.3.2); without VIRTIO_CONSOLE_F_MULTIPORT these
 * are the only queues.
 *
 * @example
 * ```ts
 * import { ConsoleQueue } from '@libos/virtio';
 * core.kick(ConsoleQueue.TRANSMIT);
 * ```
 */
export const ConsoleQueue = {
  /** receiveq(port0): device-writable buffers the device fills with input. */
  RECEIVE: 0,
  /** transmitq(port0): device-readable buffers of output. */
  TRANSMIT: 1,
} as const;

/**
 * A console size as the device reports it (virtio 1.2 §5.3.4).
 *
 * @example
 * ```ts
 * import type { ConsoleSize } from '@libos/virtio';
 * const size: ConsoleSize = { cols: 80, rows: 25 };
 * ```
 */
export interface ConsoleSize {
  /** Columns. */
  readonly cols: number;
  /** Rows. */
  readonly rows: number;
}
