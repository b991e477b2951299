export { type GsoFrameReceiver, type GsoNetPort, isGsoNetPort } from './gso-net-port.js';
export {
  addInternetChecksum,
  finishInternetChecksum,
  foldInternetChecksum,
} from './internet-checksum.js';
export {
  decodeVirtioNetConfig,
  encodeVirtioNetConfig,
  type VirtioNetConfig,
} from './net-config.js';
export {
  VIRTIO_NET_FEATURE_DEPENDENCIES,
  VIRTIO_NET_HDR_SIZE,
  VirtioNetConfigOffset,
  VirtioNetFeature,
  VirtioNetGsoType,
  VirtioNetHeaderFlag,
  VirtioNetStatus,
} from './net-constants.js';
export { netDevice, netDeviceClass } from './net-device-class.js';
export {
  VirtioNetDeviceModel,
  type VirtioNetDeviceModelOptions,
  type VirtioNetDeviceStats,
} from './net-device-model.js';
export {
  VirtioNetDriver,
  type VirtioNetDriverOptions,
  type VirtioNetDriverStats,
} from './net-driver.js';
export {
  createOffloadLink,
  OffloadLinkEndpoint,
  type OffloadLinkOptions,
  type OffloadLinkStats,
} from './offload-link.js';
export { VirtioNetError, type VirtioNetErrorCode } from './virtio-net-error.js';
