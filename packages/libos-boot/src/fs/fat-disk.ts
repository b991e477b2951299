import { createFileSystem, type FatVolume, type FileSystem, mountFat } from '@libos/fs';
import { type BlkDeviceSpec, type BlkHandle, type BlockBackend, blkDevice } from '@libos/virtio';
import { BootError, describeError } from '../boot-error.js';
import type { BootHost } from '../boot-host.js';
import type { PlanContext, RunningService, ServiceDeclaration, StartContext } from '../service.js';

/**
 * Options of {@link fatDisk}.
 *
 * @example
 * ```ts
 * import type { FatDiskOptions } from '@libos/boot/fs';
 * const options: FatDiskOptions = { readOnly: true, mountPoint: '/www' };
 * ```
 */
export interface FatDiskOptions {
  /** Mount read-only and refuse writes at the device too; default false. */
  readonly readOnly?: boolean;
  /** The disk's bytes; default the host's backend for this disk (`--disk file.img`). */
  readonly backend?: BlockBackend;
  /** Where the volume appears in {@link FatDiskHandle.fs}; default `/`. */
  readonly mountPoint?: string;
  /** Mount into this file system instead of a new one (several disks, one tree). */
  readonly fileSystem?: FileSystem;
  /** Directory/FSInfo sectors kept in the volume's write-back cache (default 4096). */
  readonly cacheSectors?: number;
  /** virtio-blk device options: block size, queue size, driver transfer limits. */
  readonly device?: Omit<BlkDeviceSpec, 'kind' | 'backend' | 'readOnly' | 'deviceClass'>;
}

/**
 * What the app gets for a {@link fatDisk}: a `node:fs/promises`-shaped file system with
 * the volume mounted, the FAT volume itself, and the virtio-blk device.
 *
 * @example
 * ```ts
 * const { www } = (await boot({ www: fatDisk({ readOnly: true }) })).services;
 * const page = await www.fs.readFile('/index.html');
 * ```
 */
export interface FatDiskHandle {
  /** The file system (`readFile`, `open`, `readdir`, `stat`, streams, …) with the volume mounted. */
  readonly fs: FileSystem;
  /** The mounted FAT12/16/32 volume. */
  readonly volume: FatVolume;
  /** Where the volume is mounted in {@link FatDiskHandle.fs}. */
  readonly mountPoint: string;
  /** The virtio-blk device: driver (a `BlockDevice`) and model. */
  readonly device: BlkHandle;
}

/**
 * Declares a disk holding a FAT file system: a virtio-blk device whose bytes come from
 * the options or the host (`libos run --disk www.img,ro`), mounted (`mountFat`) into a
 * `FileSystem` (`@libos/fs`). Shutdown writes back everything cached and flushes the
 * device.
 *
 * @param options - read-only, backend, mount point, device options
 * @returns the declaration to pass to `boot()`
 * @example
 * ```ts
 * import { boot } from '@libos/boot';
 * import { fatDisk } from '@libos/boot/fs';
 * const os = await boot({ data: fatDisk() });
 * await os.services.data.fs.writeFile('/hello.txt', 'hi');
 * await os.shutdown(); // flushed
 * ```
 */
export function fatDisk(options: FatDiskOptions = {}): ServiceDeclaration<FatDiskHandle> {
  return {
    kind: 'disk',
    devices(context: PlanContext): readonly BlkDeviceSpec[] {
      const backend =
        options.backend ??
        context.host.blockBackend?.({ service: context.name, index: context.index });
      if (backend === undefined) {
        throw new BootError(
          'NO_BACKEND',
          `${context.name}: disk ${context.index} has no backend: run with \`libos run --disk file.img\`, or give fatDisk({ backend })`,
          context.name,
        );
      }
      return [blkDevice({ ...options.device, backend, readOnly: options.readOnly === true })];
    },
    start: (context, devices) => startDisk(context, devices[0] as BlkHandle, options),
  };
}

function wallClockOf(host: BootHost): { now(): number } {
  return host.wallClock ?? { now: () => Math.floor(host.clock.now() / 1000) };
}

async function startDisk(
  context: StartContext,
  device: BlkHandle,
  options: FatDiskOptions,
): Promise<RunningService<FatDiskHandle>> {
  const disk = device.driver;
  const name = `vd${String.fromCharCode(0x61 + context.index)}`;
  const bytes = disk.sectorSize * disk.sectorCount;
  let volume: FatVolume;
  try {
    volume = await mountFat(disk, {
      clock: wallClockOf(context.host),
      readOnly: options.readOnly === true,
      ...(options.cacheSectors === undefined ? {} : { cacheSectors: options.cacheSectors }),
    });
  } catch (e) {
    throw new BootError(
      'SERVICE_FAILED',
      `${context.name}: ${name} (${size(bytes)}) holds no FAT file system we can mount: ${describeError(e)}`,
      context.name,
      e,
    );
  }
  const mountPoint = options.mountPoint ?? '/';
  const fs = options.fileSystem ?? createFileSystem();
  try {
    fs.mount(mountPoint, volume);
  } catch (e) {
    await volume.unmount();
    throw new BootError(
      'BAD_OPTION',
      `${context.name}: mount at ${mountPoint}: ${describeError(e)}`,
      context.name,
      e,
    );
  }
  const label = volume.geometry.label.trim();
  context.log(
    `${context.name}: ${name} ${size(bytes)} FAT${volume.type}${label ? ` "${label}"` : ''} mounted ${volume.readOnly ? 'read-only' : 'read-write'} at ${mountPoint}`,
  );
  return {
    handle: { fs, volume, mountPoint, device },
    stop: async () => {
      // Writes back the cached metadata and flushes the device (FatVolume.unmount).
      await volume.unmount();
    },
  };
}

/** `8 MiB`, `1.5 GiB`, `360 KiB`. */
function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
