/**
 * @libos/cli — the `libos` command line, a host tool for Node: `libos build` bundles a
 * libos app into one minified ESM file with esbuild and prints its link map (bytes per
 * `@libos` package, and which were not linked at all); `libos mkimage` builds a FAT disk
 * image from a host directory; `libos run` boots an app with host networking (user-mode,
 * QEMU stream or dgram sockets), disk images and an optional pcap capture. Everything the
 * commands do is also callable here.
 *
 * @packageDocumentation
 */

export {
  type BuildImageOptions,
  type BuildImageResult,
  buildImage,
} from './build-image.js';
export { type CliIo, runCli } from './cli.js';
export { CliError, type CliErrorCode } from './cli-error.js';
export { formatLinkMap, type LinkMap, OTHER } from './link-map.js';
export {
  IMAGE_FILE_SYSTEMS,
  type ImageFileSystem,
  type MakeImageOptions,
  type MakeImageResult,
  makeImage,
} from './make-image.js';
export { formatSize, parseSize } from './parse-size.js';
export { type RunAppOptions, runApp } from './run-app.js';
export {
  type DiskSpec,
  type HostForwardSpec,
  type NetSpec,
  parseDiskSpec,
  parseHostForward,
  parseNetSpec,
  type StreamSocketAddress,
} from './run-spec.js';
