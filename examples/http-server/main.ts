/**
 * The http-server unikernel: a NIC configured by DHCP and a read-only FAT disk with the
 * site, served on port 80. Build and run it with the libos CLI:
 *
 *   libos mkimage examples/http-server/www www.img
 *   libos run examples/http-server/main.ts --net user,hostfwd=tcp:127.0.0.1:8080-:80 --disk www.img,ro
 *
 * (`npm start` does both.)
 */
import { boot } from '@libos/boot';
import { fatDisk } from '@libos/boot/fs';
import { nic } from '@libos/boot/net';
import { StaticServer } from './static-http.js';

// DHCP without the RFC 5227 ARP probe of the offered address: on user-mode networking
// the gateway is the only other host, and the probe would add half a second to boot.
const os = await boot({
  net: nic({ ipv4: { dhcp: { probeMicros: 0 } } }),
  www: fatDisk({ readOnly: true }),
});
const { net, www } = os.services;
const server = new StaticServer(www.fs);
const listener = net.stack.listenTcp({ port: 80, backlog: 256 });
console.log(`http-server: serving ${www.mountPoint} on http://${net.address}:80/`);
for await (const conn of listener) void server.serve(conn);
