/** Shared by the virtio-net benchmarks: a TCP/IPv4 frame to send over and over. */

/** An Ethernet + IPv4 + TCP frame (no options) carrying `payload` bytes, checksums left to offload. */
export function tcpTemplate(payload: number): Uint8Array {
  const f = new Uint8Array(54 + payload);
  f.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
  const total = 40 + payload;
  f.set(
    [0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2],
    14,
  );
  f.set([0x9c, 0x40, 0, 80, 0, 0, 0x10, 0, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff], 34);
  for (let i = 54; i < f.length; i++) f[i] = i & 0xff;
  return f;
}
