/**
 * The udp-echo unikernel: a NIC configured by DHCP and a UDP echo service on port 7
 * (RFC 862). No disk, so its image links no @libos/fs at all:
 *
 *   libos build examples/udp-echo/main.ts        # link map: @libos/fs not linked
 *   libos run examples/udp-echo/main.ts --net user,hostfwd=udp:127.0.0.1:7007-:7
 *   echo hi | socat - UDP:127.0.0.1:7007
 */
import { boot } from '@libos/boot';
import { nic } from '@libos/boot/net';

const os = await boot({ net: nic() });
const { net } = os.services;
const socket = net.stack.bindUdp({ port: 7 });
console.log(`udp-echo: echoing on ${net.address}:7/udp`);
for (;;) {
  const datagram = await socket.receive();
  await socket.send(datagram.data, datagram.address, datagram.port);
}
