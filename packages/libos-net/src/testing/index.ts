/**
 * @libos/net/testing — helpers for testing network code: the {@link describeNetDevice}
 * conformance suite that every {@link NetDevice} implementation runs, the
 * {@link describeTcpStream} suite for {@link TcpStream} implementations, and in-memory
 * TCP fakes ({@link createMemoryTcpStreamPair}, {@link createMemoryTcpListener}) for
 * testing code above TCP. Requires `vitest` as a peer dependency.
 *
 * @packageDocumentation
 */
export type { NetDevice } from '../net-device.js';
export type { TcpStream } from '../tcp/tcp-stream.js';
export {
  describeNetDevice,
  type NetDeviceFactory,
  type NetDeviceUnderTest,
} from './describe-net-device.js';
export {
  describeTcpStream,
  type TcpStreamFactory,
  type TcpStreamPairUnderTest,
} from './describe-tcp-stream.js';
export {
  createMemoryTcpListener,
  MemoryTcpListener,
  type MemoryTcpListenerOptions,
} from './memory-tcp-listener.js';
export {
  createMemoryTcpStreamPair,
  type MemoryTcpEndpoint,
  MemoryTcpStream,
  type MemoryTcpStreamPairOptions,
} from './memory-tcp-stream.js';
