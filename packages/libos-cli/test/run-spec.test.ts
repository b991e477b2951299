/**
 * The option syntax of `libos run`: `--net` (QEMU-style `user,hostfwd=…`, `stream`,
 * `dgram`) and `--disk`, parsed in process.
 */
import { CliError, parseDiskSpec, parseHostForward, parseNetSpec } from '@libos/cli';
import { describe, expect, it } from 'vitest';

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).code).toBe('usage');
    return (e as CliError).message;
  }
  throw new Error('expected a usage error');
}

describe('parseHostForward (QEMU hostfwd syntax)', () => {
  it.each([
    [
      'tcp:127.0.0.1:8080-:80',
      { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 },
    ],
    ['tcp::0-:80', { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestPort: 80 }],
    ['::8080-:80', { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 }],
    ['udp::5353-:53', { protocol: 'udp', hostAddress: '127.0.0.1', hostPort: 5353, guestPort: 53 }],
    [
      'tcp:0.0.0.0:2222-10.0.2.15:22',
      {
        protocol: 'tcp',
        hostAddress: '0.0.0.0',
        hostPort: 2222,
        guestAddress: '10.0.2.15',
        guestPort: 22,
      },
    ],
  ])('%s', (text, expected) => {
    expect(parseHostForward(text)).toEqual(expected);
  });

  it.each([
    ['tcp:8080:80', /expected tcp:HOSTADDR:HOSTPORT-/],
    ['sctp::1-:2', /expected tcp:HOSTADDR/],
    ['tcp::8080-:0', /bad hostfwd guest port/],
    ['tcp::65536-:80', /bad hostfwd host port/],
    ['tcp::8080-:', /bad hostfwd guest port/],
    ['tcp:localhost:8080-:80', /bad hostfwd host address "localhost"/],
    ['tcp:1.2.3.256:8080-:80', /expected an IPv4 address/],
  ])('rejects %s', (text, message) => {
    expect(usageError(() => parseHostForward(text))).toMatch(message);
  });
});

describe('parseNetSpec', () => {
  it('user with no, one and several forwards, in order', () => {
    expect(parseNetSpec('user')).toEqual({ type: 'user', hostForwards: [] });
    const net = parseNetSpec('user,hostfwd=tcp::8080-:80,hostfwd=udp::5353-:53');
    expect(net.type === 'user' && net.hostForwards.map((f) => f.guestPort)).toEqual([80, 53]);
  });

  it('stream over a unix path or TCP, client or server', () => {
    expect(parseNetSpec('stream,path=/tmp/n0.sock')).toEqual({
      type: 'stream',
      address: { path: '/tmp/n0.sock' },
      server: false,
    });
    expect(parseNetSpec('stream,path=/tmp/n0.sock,server')).toMatchObject({ server: true });
    expect(parseNetSpec('stream,path=/tmp/n0.sock,server=on')).toMatchObject({ server: true });
    expect(parseNetSpec('stream,path=/tmp/n0.sock,server=off')).toMatchObject({ server: false });
    expect(parseNetSpec('stream,port=5555')).toEqual({
      type: 'stream',
      address: { host: '127.0.0.1', port: 5555 },
      server: false,
    });
    expect(parseNetSpec('stream,host=127.0.0.2,port=0,server')).toEqual({
      type: 'stream',
      address: { host: '127.0.0.2', port: 0 },
      server: true,
    });
  });

  it('dgram with and without a remote', () => {
    expect(parseNetSpec('dgram,local=127.0.0.1:10000,remote=127.0.0.1:10001')).toEqual({
      type: 'dgram',
      host: '127.0.0.1',
      localPort: 10000,
      remotePort: 10001,
    });
    expect(parseNetSpec('dgram,local=127.0.0.1:0')).toEqual({
      type: 'dgram',
      host: '127.0.0.1',
      localPort: 0,
    });
  });

  it.each([
    ['tap', /unknown --net type "tap" \(supported: user, stream, dgram\)/],
    ['', /unknown --net type ""/],
    ['user,', /empty option/],
    ['user,hostfwd', /hostfwd needs a value/],
    ['user,net=10.0.3.0/24', /unknown option "net" for --net user/],
    ['stream', /needs path=SOCKET or port=N/],
    ['stream,port=0', /bad --net stream port "0"/],
    ['stream,path=/a,port=1', /either path= or host=\/port=/],
    ['stream,path=/a,path=/b', /path given twice/],
    ['stream,path', /path needs a value/],
    ['stream,path=/a,server=maybe', /bad server=maybe: expected on or off/],
    ['dgram', /needs local=ADDRESS:PORT/],
    ['dgram,local=5000', /expected ADDRESS:PORT/],
    ['dgram,local=127.0.0.1:5000,remote=127.0.0.1:0', /remote port cannot be 0/],
  ])('rejects %j', (text, message) => {
    expect(usageError(() => parseNetSpec(text))).toMatch(message);
  });
});

describe('parseDiskSpec', () => {
  it('read-write unless ro', () => {
    expect(parseDiskSpec('www.img')).toEqual({ path: 'www.img', readOnly: false });
    expect(parseDiskSpec('www.img,ro')).toEqual({ path: 'www.img', readOnly: true });
    expect(parseDiskSpec('/abs/data.img,rw')).toEqual({ path: '/abs/data.img', readOnly: false });
  });

  it.each([
    ['', /--disk needs an image file/],
    [',ro', /--disk needs an image file/],
    ['x.img,readonly', /unknown option "readonly" for --disk/],
    ['x.img,ro=on', /unknown option "ro"/],
  ])('rejects %j', (text, message) => {
    expect(usageError(() => parseDiskSpec(text))).toMatch(message);
  });
});
