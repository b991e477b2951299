/**
 * Register offsets of the virtio-over-MMIO transport (virtio 1.2 §4.2.2, "MMIO Device
 * Register Layout", non-legacy). All registers are 32 bits wide and little-endian;
 * device-specific configuration space starts at {@link MmioRegister.CONFIG}.
 *
 * libos lays this block out in shared guest memory so that a driver and a device model
 * can live in different threads.
 *
 * @example
 * ```ts
 * import { MmioRegister, MMIO_MAGIC_VALUE } from '@libos/virtio';
 * if (memory.readU32(base + MmioRegister.MAGIC_VALUE) !== MMIO_MAGIC_VALUE) throw new Error('no device');
 * ```
 */
export const MmioRegister = {
  /** Magic value, 0x74726976 ("virt" little-endian). Read-only. */
  MAGIC_VALUE: 0x000,
  /** Device version: 2 for non-legacy devices. Read-only. */
  VERSION: 0x004,
  /** Virtio subsystem device ID (§5). Read-only. */
  DEVICE_ID: 0x008,
  /** Virtio subsystem vendor ID. Read-only. */
  VENDOR_ID: 0x00c,
  /** 32 bits of the device's features, selected by DEVICE_FEATURES_SEL. Read-only. */
  DEVICE_FEATURES: 0x010,
  /** Selects which 32-bit word DEVICE_FEATURES shows. Write-only. */
  DEVICE_FEATURES_SEL: 0x014,
  /** 32 bits of the features the driver accepted, selected by DRIVER_FEATURES_SEL. Write-only. */
  DRIVER_FEATURES: 0x020,
  /** Selects which 32-bit word DRIVER_FEATURES writes. Write-only. */
  DRIVER_FEATURES_SEL: 0x024,
  /** Selects the virtqueue the QUEUE_* registers refer to. Write-only. */
  QUEUE_SEL: 0x030,
  /** Maximum size of the selected queue; 0 if the queue is not available. Read-only. */
  QUEUE_NUM_MAX: 0x034,
  /** Size of the selected queue chosen by the driver. Write-only. */
  QUEUE_NUM: 0x038,
  /** 1 once the selected queue is ready to use. Read-write. */
  QUEUE_READY: 0x044,
  /** Queue notifier: the driver writes a queue index here to notify the device. Write-only. */
  QUEUE_NOTIFY: 0x050,
  /** Interrupt status: bit 0 used buffer, bit 1 configuration change. Read-only. */
  INTERRUPT_STATUS: 0x060,
  /** Acknowledges the interrupt causes written. Write-only. */
  INTERRUPT_ACK: 0x064,
  /** Device status (§2.1); writing 0 resets the device. Read-write. */
  STATUS: 0x070,
  /** Low 32 bits of the selected queue's descriptor area address. Write-only. */
  QUEUE_DESC_LOW: 0x080,
  /** High 32 bits of the selected queue's descriptor area address. Write-only. */
  QUEUE_DESC_HIGH: 0x084,
  /** Low 32 bits of the driver area (available ring) address. Write-only. */
  QUEUE_DRIVER_LOW: 0x090,
  /** High 32 bits of the driver area (available ring) address. Write-only. */
  QUEUE_DRIVER_HIGH: 0x094,
  /** Low 32 bits of the device area (used ring) address. Write-only. */
  QUEUE_DEVICE_LOW: 0x0a0,
  /** High 32 bits of the device area (used ring) address. Write-only. */
  QUEUE_DEVICE_HIGH: 0x0a4,
  /** Selects a shared memory region. Write-only. */
  SHM_SEL: 0x0ac,
  /** Low 32 bits of the selected shared memory region's length. Read-only. */
  SHM_LEN_LOW: 0x0b0,
  /** High 32 bits of the selected shared memory region's length. Read-only. */
  SHM_LEN_HIGH: 0x0b4,
  /** Low 32 bits of the selected shared memory region's base. Read-only. */
  SHM_BASE_LOW: 0x0b8,
  /** High 32 bits of the selected shared memory region's base. Read-only. */
  SHM_BASE_HIGH: 0x0bc,
  /** Writing 1 resets the selected queue (needs VIRTIO_F_RING_RESET). Read-write. */
  QUEUE_RESET: 0x0c0,
  /** Configuration atomicity value (§2.5.1): changes when the configuration changes. Read-only. */
  CONFIG_GENERATION: 0x0fc,
  /** Start of the device-specific configuration space. */
  CONFIG: 0x100,
} as const;

/**
 * The value of the MagicValue register: the bytes "virt" read as a little-endian u32.
 *
 * @example
 * ```ts
 * import { MMIO_MAGIC_VALUE } from '@libos/virtio';
 * MMIO_MAGIC_VALUE === 0x74726976; // true
 * ```
 */
export const MMIO_MAGIC_VALUE = 0x74726976;

/**
 * The Version register of a non-legacy virtio-mmio device (§4.2.2).
 *
 * @example
 * ```ts
 * import { MMIO_VERSION } from '@libos/virtio';
 * if (version !== MMIO_VERSION) throw new Error('legacy virtio-mmio is not supported');
 * ```
 */
export const MMIO_VERSION = 2;

/**
 * InterruptStatus / InterruptACK bits (§4.2.2).
 *
 * @example
 * ```ts
 * import { MmioInterrupt } from '@libos/virtio';
 * if (status & MmioInterrupt.USED_BUFFER) drainUsedRing();
 * ```
 */
export const MmioInterrupt = {
  /** The device used a buffer in at least one active virtqueue. */
  USED_BUFFER: 1,
  /** The device configuration has changed. */
  CONFIG_CHANGE: 2,
} as const;
