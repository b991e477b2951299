/**
 * The outbound example booted in-process on a Node host: the unikernel reaches an HTTP
 * server on the host's 127.0.0.1 through user-mode NAT (10.0.2.2 is the host), with the
 * network restricted to loopback, prints what it got and shuts itself down.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { installHost } from '@libos/boot';
import { nodeHost } from '@libos/boot/node';
import { createUserNetwork } from '@libos/net/node';
import { afterAll, describe, expect, it, vi } from 'vitest';

let server: Server | undefined;
afterAll(() => {
  installHost(undefined);
  server?.close();
});

describe('examples/outbound', () => {
  it('fetches from a server on the host loopback through user-mode NAT, then shuts down', async () => {
    const requests: string[] = [];
    server = createServer((request, response) => {
      requests.push(`${request.method} ${request.url} ${request.headers['user-agent']}`);
      response.end('hello from the host\n');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const network = await createUserNetwork({ outbound: 'loopback' });
    const host = nodeHost({
      net: [network.guestPort],
      log: () => {},
      onClose: () => network.close(),
    });
    installHost(host);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      printed.push(String(line));
    });
    process.env.OUTBOUND_PORT = String(port);
    process.env.OUTBOUND_PATH = '/greeting';
    try {
      await import('../main.js');
    } finally {
      log.mockRestore();
      delete process.env.OUTBOUND_PORT;
      delete process.env.OUTBOUND_PATH;
      await host.close();
    }
    expect(requests).toEqual(['GET /greeting libos']);
    expect(printed[0]).toBe(
      `outbound: GET http://10.0.2.2:${port}/greeting -> HTTP/1.1 200 OK, 20 bytes`,
    );
    expect(printed[1]).toBe('hello from the host\n');
    expect(host.kernels[0]!.isShutDown).toBe(true);
  }, 30_000);
});
