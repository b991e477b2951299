/**
 * Console constants checked against the Linux uapi header linux/virtio_console.h,
 * including the layout of struct virtio_console_config computed from its declaration.
 */
import { readFileSync } from 'node:fs';
import {
  CONSOLE_CONFIG_SIZE,
  ConsoleConfigOffset,
  ConsoleFeature,
  DeviceType,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';

const header = readFileSync('/usr/include/linux/virtio_console.h', 'utf8');

function define(name: string): number | undefined {
  const m = header.match(new RegExp(`^#define\\s+${name}\\s+(\\d+)`, 'm'));
  return m ? Number(m[1]) : undefined;
}

describe('virtio-console constants agree with linux/virtio_console.h', () => {
  it('feature bits', () => {
    expect(define('VIRTIO_CONSOLE_F_SIZE')).toBe(ConsoleFeature.SIZE);
    expect(define('VIRTIO_CONSOLE_F_MULTIPORT')).toBe(ConsoleFeature.MULTIPORT);
    expect(define('VIRTIO_CONSOLE_F_EMERG_WRITE')).toBe(ConsoleFeature.EMERG_WRITE);
  });

  it('struct virtio_console_config field offsets and size (packed)', () => {
    const body = header.match(/struct virtio_console_config \{([\s\S]*?)\}/)?.[1];
    expect(body).toBeDefined();
    const widths: Record<string, number> = { __virtio16: 2, __virtio32: 4, __u16: 2, __u32: 4 };
    const offsets = new Map<string, number>();
    let at = 0;
    for (const m of (body ?? '').matchAll(/^\s*(__\w+)\s+(\w+);/gm)) {
      offsets.set(m[2]!, at);
      at += widths[m[1]!] ?? Number.NaN;
    }
    expect(offsets.get('cols')).toBe(ConsoleConfigOffset.COLS);
    expect(offsets.get('rows')).toBe(ConsoleConfigOffset.ROWS);
    expect(offsets.get('max_nr_ports')).toBe(ConsoleConfigOffset.MAX_NR_PORTS);
    expect(offsets.get('emerg_wr')).toBe(ConsoleConfigOffset.EMERG_WR);
    expect(at).toBe(CONSOLE_CONFIG_SIZE);
  });

  it('device ID (virtio_ids.h)', () => {
    const ids = readFileSync('/usr/include/linux/virtio_ids.h', 'utf8');
    expect(Number(ids.match(/^#define\s+VIRTIO_ID_CONSOLE\s+(\d+)/m)?.[1])).toBe(
      DeviceType.CONSOLE,
    );
  });
});
