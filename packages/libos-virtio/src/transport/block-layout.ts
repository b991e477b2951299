/**
 * Where everything of one libos virtio-mmio device lives in guest memory: the §4.2.2
 * register block, the device configuration space, and the doorbell words of the trap
 * protocol that stands in for real MMIO traps.
 *
 * ```text
 *  base + 0x000 ┌──────────────────────────────────────────────┐
 *               │ §4.2.2 registers (32-bit, little-endian)     │  written only by the device;
 *               │ MagicValue … QueueReset, ConfigGeneration    │  the driver reads them with
 *  base + 0x100 ├──────────────────────────────────────────────┤  atomic loads
 *               │ device configuration space (≤ 3584 bytes)    │  seqlock: ConfigGeneration
 *               │                                              │  is odd while it changes
 *  base + 0xF00 ├──────────────────────────────────────────────┤  ── doorbell area ──
 *               │ 0xF00 TRAP_REQUEST   driver: seq + 1, wake   │  trap mailbox: a driver
 *               │ 0xF04 TRAP_ACK       device: = seq, wake     │  register write is
 *               │ 0xF08 TRAP_OFFSET    driver: register offset │  (offset, value, width),
 *               │ 0xF0C TRAP_VALUE     driver: value written   │  applied by the device,
 *               │ 0xF10 TRAP_WIDTH     driver: 1, 2 or 4 bytes │  acknowledged by TRAP_ACK
 *               │ 0xF14 NOTIFY_SEQ     driver: +1, wake        │  posted queue doorbell
 *               │ 0xF18 INTERRUPT_SEQ  device: +1, wake        │  interrupt line
 *               │ 0xF1C (reserved)                             │
 *               │ 0xF20 NOTIFY_COUNT[0..31]  driver: +1 each   │  per-queue notify counters
 *  base + 0xFA0 │ (reserved up to 0xFFF)                       │
 *  base + 0x1000└──────────────────────────────────────────────┘
 * ```
 *
 * Trap (every register write with a side effect, virtio 1.2 §4.2.2):
 *
 * ```text
 *  driver                                   device
 *  TRAP_OFFSET/VALUE/WIDTH := write
 *  TRAP_REQUEST := seq                ──►   sees TRAP_REQUEST ≠ TRAP_ACK
 *  wake(TRAP_REQUEST)                       applies the side effect, updates read-side
 *                                           registers (QueueNumMax of the new QueueSel …)
 *  wait until TRAP_ACK = seq          ◄──   TRAP_ACK := seq, wake(TRAP_ACK)
 * ```
 *
 * Posted doorbells (no acknowledgement): a queue notification adds 1 to
 * `NOTIFY_COUNT[q]` then to `NOTIFY_SEQ` and wakes it; an interrupt ORs its cause into
 * InterruptStatus, adds 1 to `INTERRUPT_SEQ` and wakes it.
 *
 * @example
 * ```ts
 * import { MmioDoorbell } from '@libos/virtio';
 * const ackWord = base + MmioDoorbell.TRAP_ACK;
 * ```
 */
export const MmioDoorbell = {
  /** Sequence number of the driver's latest trap request. */
  TRAP_REQUEST: 0xf00,
  /** Sequence number of the latest trap request the device has applied. */
  TRAP_ACK: 0xf04,
  /** Register offset (from the block base) of the trapped write. */
  TRAP_OFFSET: 0xf08,
  /** Value of the trapped write. */
  TRAP_VALUE: 0xf0c,
  /** Width in bytes of the trapped write: 4 for registers; 1, 2 or 4 in config space. */
  TRAP_WIDTH: 0xf10,
  /** Incremented by the driver after every queue notification. */
  NOTIFY_SEQ: 0xf14,
  /** Incremented by the device after every interrupt it raises. */
  INTERRUPT_SEQ: 0xf18,
  /** First of the per-queue notification counters (one u32 per queue). */
  NOTIFY_COUNTS: 0xf20,
} as const;

/**
 * Bytes one device occupies in guest memory: registers, config space and doorbells.
 *
 * @example
 * ```ts
 * import { MMIO_BLOCK_SIZE } from '@libos/virtio';
 * const page = dma.alloc(MMIO_BLOCK_SIZE, 4096);
 * ```
 */
export const MMIO_BLOCK_SIZE = 0x1000;

/**
 * Largest device configuration space a block holds (from 0x100 up to the doorbells).
 *
 * @example
 * ```ts
 * import { MMIO_CONFIG_CAPACITY } from '@libos/virtio';
 * if (config.length > MMIO_CONFIG_CAPACITY) throw new Error('config too large');
 * ```
 */
export const MMIO_CONFIG_CAPACITY = MmioDoorbell.TRAP_REQUEST - 0x100;

/**
 * Most virtqueues one device may declare (one notify counter each).
 *
 * @example
 * ```ts
 * import { MMIO_MAX_QUEUES } from '@libos/virtio';
 * MMIO_MAX_QUEUES; // 32
 * ```
 */
export const MMIO_MAX_QUEUES = 32;
