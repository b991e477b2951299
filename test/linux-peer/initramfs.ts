/**
 * The guest's root filesystem, built at test time: a static busybox (applet links made
 * by `busybox --install -s` at boot), the kernel modules for virtio-net and /init, a
 * shell script that loads them and then serves commands from the serial console (see
 * linux-guest.ts for the protocol). Built images are cached by content hash.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CpioEntry, writeCpio } from './cpio.js';
import {
  extractVmlinux,
  type InstalledKernel,
  moduleLoadOrder,
  moduleName,
  readModule,
} from './kernel.js';

/** Printed by /init once modules are loaded and the console is ready for commands. */
export const READY_MARKER = '@@LP-READY@@';

/** Modules every guest loads: virtio PCI transport and virtio-net (with their deps). */
export const DEFAULT_MODULES: readonly string[] = ['virtio_pci', 'virtio_net'];

/** Bump when the layout or /init protocol changes, to invalidate caches. */
const FORMAT_VERSION = 3;

/**
 * /init. Console protocol (host → guest, one line each, canonical tty mode with echo off):
 *   `C <tag> <base64>`    append decoded bytes to the next script, print `@@LP-ACK <tag>@@`
 *   `R <id> <seconds>`    run the script (stdin /dev/null, stderr → stdout) under
 *                         `timeout -s KILL`, bracketed by `@@LP-BEGIN <id>@@` and
 *                         `\n@@LP-END <id> <exit code>@@`
 * No command for `idleSeconds` → power off, so an orphaned QEMU cannot outlive its test.
 */
function initScript(modules: readonly string[], idleSeconds: number): string {
  return `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /sbin /usr/bin /usr/sbin /var/run
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
dmesg -n 1
for m in ${modules.join(' ')}; do
  insmod /lib/modules/$m.ko || echo "@@LP-INSMOD-FAILED $m@@"
done
ip link set lo up
hostname linux-peer
stty -echo
echo ${READY_MARKER}
while read -r -t ${idleSeconds} op a b; do
  case "$op" in
    C) echo "$b" | base64 -d >> /tmp/lp.sh
       echo "@@LP-ACK $a@@" ;;
    R) echo "@@LP-BEGIN $a@@"
       timeout -s KILL "$b" sh /tmp/lp.sh </dev/null 2>&1
       rc=$?
       rm -f /tmp/lp.sh
       printf '\\n@@LP-END %s %d@@\\n' "$a" "$rc" ;;
  esac
done
echo "@@LP-IDLE-POWEROFF@@"
poweroff -f
`;
}

/** Where the built images live. */
export interface GuestImages {
  /** Uncompressed vmlinux (PVH-bootable ELF), or undefined when extraction failed. */
  readonly vmlinux: string | undefined;
  /** Why there is no vmlinux. */
  readonly vmlinuxError: string | undefined;
  /** The initramfs (newc cpio). */
  readonly initramfs: string;
  /** True when both came from the cache. */
  readonly cached: boolean;
}

/** Options of {@link buildGuestImages}. */
export interface GuestImageOptions {
  readonly kernel: InstalledKernel;
  readonly busybox: string;
  readonly cacheDir: string;
  /** Extra kernel modules (by name) to load at boot, after the defaults. */
  readonly modules?: readonly string[];
  /** Guest powers off after this long without a command. Default 600 s. */
  readonly idleSeconds?: number;
}

function fingerprint(file: string): string {
  const s = statSync(file);
  return `${file}:${s.size}:${s.mtimeMs}`;
}

function writeAtomic(path: string, data: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path); // concurrent builders write identical bytes; last rename wins
}

/** Builds (or finds in the cache) the vmlinux and initramfs for `options.kernel`. */
export function buildGuestImages(options: GuestImageOptions): GuestImages {
  const { kernel, busybox } = options;
  const modules = moduleLoadOrder(kernel.modulesDir, [
    ...DEFAULT_MODULES,
    ...(options.modules ?? []),
  ]);
  const script = initScript(modules.map(moduleName), options.idleSeconds ?? 600);
  const hash = createHash('sha256')
    .update(
      JSON.stringify({
        FORMAT_VERSION,
        script,
        busybox: fingerprint(busybox),
        bzImage: fingerprint(kernel.bzImage),
        modules: modules.map((m) => fingerprint(join(kernel.modulesDir, m))),
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const dir = join(options.cacheDir, `${kernel.version}-${hash}`);
  mkdirSync(dir, { recursive: true });
  const initramfs = join(dir, 'initramfs.cpio');
  const vmlinux = join(dir, 'vmlinux');
  const vmlinuxError = join(dir, 'vmlinux.error');
  let cached = existsSync(initramfs);
  if (!cached) {
    const entries: CpioEntry[] = [
      { kind: 'directory', path: 'bin' },
      { kind: 'directory', path: 'dev' },
      { kind: 'char-device', path: 'dev/console', major: 5, minor: 1 },
      { kind: 'directory', path: 'lib' },
      { kind: 'directory', path: 'lib/modules' },
      { kind: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
      { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
      { kind: 'file', path: 'init', data: new TextEncoder().encode(script), mode: 0o755 },
      ...modules.map(
        (m): CpioEntry => ({
          kind: 'file',
          path: `lib/modules/${moduleName(m)}.ko`,
          data: readModule(join(kernel.modulesDir, m)),
        }),
      ),
    ];
    writeAtomic(initramfs, writeCpio(entries));
  }
  if (!existsSync(vmlinux) && !existsSync(vmlinuxError)) {
    cached = false;
    try {
      writeAtomic(vmlinux, extractVmlinux(readFileSync(kernel.bzImage)));
    } catch (e) {
      writeAtomic(vmlinuxError, new TextEncoder().encode(String(e)));
    }
  }
  return existsSync(vmlinux)
    ? { vmlinux, vmlinuxError: undefined, initramfs, cached }
    : {
        vmlinux: undefined,
        vmlinuxError: readFileSync(vmlinuxError, 'utf8'),
        initramfs,
        cached,
      };
}
