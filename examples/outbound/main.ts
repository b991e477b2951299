/**
 * The outbound unikernel: gets an address by DHCP, then makes an HTTP request to a
 * server on the host's loopback through user-mode NAT — on the guest's link the host is
 * the gateway, 10.0.2.2 (as QEMU's slirp) — prints the answer, and shuts down.
 *
 *   python3 -m http.server 8000 --bind 127.0.0.1 &
 *   OUTBOUND_PORT=8000 libos run examples/outbound/main.ts --net user
 */
import { boot } from '@libos/boot';
import { nic } from '@libos/boot/net';

const port = Number(process.env.OUTBOUND_PORT ?? '8000');
const path = process.env.OUTBOUND_PATH ?? '/';

const os = await boot({ net: nic({ ipv4: { dhcp: { probeMicros: 0 } } }) });
try {
  const { stack } = os.services.net;
  const conn = await stack.connectTcp({ address: '10.0.2.2', port, timeout: 10_000_000 });
  await conn.write(
    new TextEncoder().encode(
      `GET ${path} HTTP/1.0\r\nHost: 10.0.2.2:${port}\r\nUser-Agent: libos\r\n\r\n`,
    ),
  );
  const decoder = new TextDecoder();
  let response = '';
  for (let chunk = await conn.read(); chunk !== null; chunk = await conn.read()) {
    response += decoder.decode(chunk, { stream: true });
  }
  await conn.close();
  const split = response.indexOf('\r\n\r\n');
  const statusLine = response.slice(0, response.indexOf('\r\n'));
  const body = split < 0 ? '' : response.slice(split + 4);
  console.log(
    `outbound: GET http://10.0.2.2:${port}${path} -> ${statusLine}, ${body.length} bytes`,
  );
  console.log(body);
} finally {
  await os.shutdown();
}
