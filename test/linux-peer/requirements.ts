/**
 * Can this machine run a Linux peer? Checks for the tools the harness needs.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { type InstalledKernel, installedKernels, isStaticElf } from './kernel.js';

/** The Debian packages the harness needs (bookworm names). */
export const REQUIRED_PACKAGES = [
  'qemu-system-x86', // qemu-system-x86_64 ≥ 7.2 (for -netdev stream/dgram)
  'linux-image-amd64', // /boot/vmlinuz-* and /lib/modules/*
  'busybox-static', // /bin/busybox, statically linked
  'xz-utils', // xz, to unpack the kernel (Debian kernels are xz-compressed)
] as const;

/** What the harness found. */
export interface LinuxPeerSupport {
  /** Empty when everything is present. */
  readonly missing: readonly string[];
  /** The kernel to boot (newest installed), when there is one. */
  readonly kernel: InstalledKernel | undefined;
  /** Path of the static busybox. */
  readonly busybox: string;
  /** The QEMU binary. */
  readonly qemu: string;
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

let cached: LinuxPeerSupport | undefined;

/** Looks for QEMU, a kernel with modules, a static busybox and xz (once per process). */
export function linuxPeerSupport(): LinuxPeerSupport {
  if (cached) return cached;
  const missing: string[] = [];
  const qemu = 'qemu-system-x86_64';
  if (!onPath(qemu)) missing.push(`${qemu} (apt-get install qemu-system-x86)`);
  const kernel = installedKernels()[0];
  if (!kernel)
    missing.push('a kernel in /boot with /lib/modules (apt-get install linux-image-amd64)');
  else if (!readable(kernel.bzImage)) missing.push(`read access to ${kernel.bzImage}`);
  const busybox = process.env.LIBOS_LINUX_PEER_BUSYBOX ?? '/bin/busybox';
  if (!existsSync(busybox) || !isStaticElf(busybox)) {
    missing.push(`a static ${busybox} (apt-get install busybox-static)`);
  }
  if (!onPath('xz')) missing.push('xz (apt-get install xz-utils)');
  cached = { missing, kernel, busybox, qemu };
  return cached;
}

/** What the TAP-in-netns peer needs that is missing (empty when it can run). */
export function tapPeerMissing(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (network namespaces and TAP devices)');
  if (!existsSync('/dev/net/tun')) missing.push('/dev/net/tun');
  if (!onPath('ip')) missing.push('ip (apt-get install iproute2)');
  if (!onPath('socat')) missing.push('socat (apt-get install socat)');
  if (!onPath('ping') && !onPath('busybox')) missing.push('ping (iputils-ping) or busybox');
  return missing;
}
