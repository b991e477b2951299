/**
 * Barrel of the phy layer: devices and device wrappers — loopback, an L2 learning
 * switch, pcap capture, tracing and seeded fault injection. The in-process cable
 * (`./link.ts`) is exported from the package root.
 */

export { FaultInjector, type FaultInjectorOptions } from './fault-injector.js';
export type {
  FaultConfig,
  FaultStats,
} from './fault-stage.js';
export { formatFrameSummary } from './frame-summary.js';
export { createLoopback, Loopback, type LoopbackOptions, type LoopbackStats } from './loopback.js';
export { MacTable, type MacTableOptions, type MacTableStats } from './mac-table.js';
export {
  createSwitch,
  NetSwitch,
  type NetSwitchOptions,
  type NetSwitchStats,
  type SwitchPortOptions,
} from './net-switch.js';
export {
  LINKTYPE_ETHERNET,
  PCAP_FILE_HEADER_BYTES,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_RECORD_HEADER_BYTES,
  PcapFile,
  type PcapFileOptions,
  type PcapSink,
} from './pcap-file.js';
export { type CaptureDirections, PcapWriter, type PcapWriterOptions } from './pcap-writer.js';
export { PhyError, type PhyErrorCode } from './phy-error.js';
export type { RateLimit } from './rate-limiter.js';
export { SwitchDevicePort, SwitchPort, type SwitchPortStats } from './switch-port.js';
export {
  type FrameDirection,
  type TraceCallback,
  Tracer,
  type TracerOptions,
} from './tracer.js';
