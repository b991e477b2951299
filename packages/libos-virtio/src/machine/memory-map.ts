import { MMIO_BLOCK_SIZE } from '../transport/block-layout.js';
import { MachineError } from './machine-error.js';

/**
 * Guest address of the first device's register block; device `i` (in the order of
 * `devices`) has its 4 KiB block at `MACHINE_REGISTER_BASE + i × 0x1000`. Page 0 stays
 * unused so that guest address 0 is never a valid buffer.
 *
 * @example
 * ```ts
 * import { MACHINE_REGISTER_BASE } from '@libos/virtio';
 * const secondDevice = MACHINE_REGISTER_BASE + 0x1000; // 0x2000
 * ```
 */
export const MACHINE_REGISTER_BASE = 0x1000;

/**
 * Most devices one machine holds: the register window 0x1000..0x1ffff has room for 31
 * blocks.
 *
 * @example
 * ```ts
 * import { MACHINE_MAX_DEVICES } from '@libos/virtio';
 * MACHINE_MAX_DEVICES; // 31
 * ```
 */
export const MACHINE_MAX_DEVICES = 31;

/**
 * Guest address where the DMA region (rings, indirect tables, driver buffers) starts;
 * it runs to the end of guest memory. Fixed, so adding a device never moves it.
 *
 * @example
 * ```ts
 * import { MACHINE_DMA_BASE } from '@libos/virtio';
 * MACHINE_DMA_BASE; // 0x20000
 * ```
 */
export const MACHINE_DMA_BASE = MACHINE_REGISTER_BASE + MACHINE_MAX_DEVICES * MMIO_BLOCK_SIZE;

/**
 * One region of a {@link MachineMemoryMap}: `[start, end)` in guest addresses.
 *
 * @example
 * ```ts
 * import type { MachineRegion } from '@libos/virtio';
 * const block: MachineRegion = { start: 0x1000, end: 0x2000 };
 * ```
 */
export interface MachineRegion {
  /** First guest address of the region. */
  readonly start: number;
  /** First guest address after the region. */
  readonly end: number;
}

/**
 * Where everything of a machine lives in guest memory:
 *
 * ```text
 *  0x0000_0000 ┌───────────────────────────────────┐
 *              │ unused page (address 0 is never   │
 *              │ a valid buffer)                   │
 *  0x0000_1000 ├───────────────────────────────────┤ ── register window ──
 *              │ device 0: virtio-mmio block 4 KiB │ registers 0x000, config 0x100,
 *  0x0000_2000 ├───────────────────────────────────┤ doorbells 0xf00 (block-layout.ts)
 *              │ device 1: virtio-mmio block 4 KiB │
 *  0x0000_3000 ├───────────────────────────────────┤
 *              │ …  one block per device, in the   │
 *              │    order of `devices` (≤ 31)      │
 *  0x0002_0000 ├───────────────────────────────────┤ ── DMA region ──
 *              │ split-queue rings, indirect       │ DmaAllocator (slabs + buddy
 *              │ tables, driver buffer pools       │ pages); only drivers allocate
 *              │ (net rx/tx, blk slots, rng pool   │ here
 *              │ requests, console rx/tx)          │
 *  memoryBytes └───────────────────────────────────┘
 * ```
 *
 * @example
 * ```ts
 * const { registers, dma } = machine.memoryMap;
 * console.log(registers[0]!.start.toString(16), dma.end - dma.start);
 * ```
 */
export interface MachineMemoryMap {
  /** Size of guest memory in bytes. */
  readonly memoryBytes: number;
  /** The register block of each device, in the order of `devices`. */
  readonly registers: readonly MachineRegion[];
  /** The DMA region handed to the machine's `DmaAllocator`. */
  readonly dma: MachineRegion;
}

/**
 * Lays out a machine of `deviceCount` devices in `memoryBytes` of guest memory (see
 * {@link MachineMemoryMap}).
 *
 * @param memoryBytes - guest memory size: a positive multiple of 4 KiB
 * @param deviceCount - number of devices
 * @returns the map
 * @throws {@link MachineError} `BAD_OPTION` (size not a multiple of 4 KiB),
 *   `TOO_MANY_DEVICES`, `MEMORY_TOO_SMALL` (no page left for DMA)
 * @example
 * ```ts
 * import { planMemoryMap } from '@libos/virtio';
 * planMemoryMap(16 << 20, 2).registers[1]; // { start: 0x2000, end: 0x3000 }
 * ```
 */
export function planMemoryMap(memoryBytes: number, deviceCount: number): MachineMemoryMap {
  if (
    !Number.isSafeInteger(memoryBytes) ||
    memoryBytes <= 0 ||
    memoryBytes % MMIO_BLOCK_SIZE !== 0
  ) {
    throw new MachineError(
      'BAD_OPTION',
      `memoryBytes ${memoryBytes} is not a positive multiple of ${MMIO_BLOCK_SIZE}`,
    );
  }
  if (deviceCount > MACHINE_MAX_DEVICES) {
    throw new MachineError(
      'TOO_MANY_DEVICES',
      `${deviceCount} devices, but a machine has ${MACHINE_MAX_DEVICES} register blocks`,
    );
  }
  if (memoryBytes <= MACHINE_DMA_BASE) {
    throw new MachineError(
      'MEMORY_TOO_SMALL',
      `${memoryBytes} bytes of guest memory leave no DMA region (it starts at 0x${MACHINE_DMA_BASE.toString(16)})`,
    );
  }
  const registers: MachineRegion[] = [];
  for (let i = 0; i < deviceCount; i++) {
    const start = MACHINE_REGISTER_BASE + i * MMIO_BLOCK_SIZE;
    registers.push({ start, end: start + MMIO_BLOCK_SIZE });
  }
  return { memoryBytes, registers, dma: { start: MACHINE_DMA_BASE, end: memoryBytes } };
}
