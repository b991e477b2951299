export { FrameChannel, type FrameChannelOptions, type FrameChannelSide } from './frame-channel.js';
export { FrameChannelLayout } from './frame-channel-layout.js';
export { FrameChannelPort, type FrameChannelPortIdentity } from './frame-channel-port.js';
