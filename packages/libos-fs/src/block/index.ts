export { BlockCache, type BlockCacheOptions, type BlockCacheStats } from './block-cache.js';
export { type FaultRule, FaultyBlockDevice } from './faulty-block-device.js';
export { crc32 } from './partition/crc32.js';
export { GPT_TYPE } from './partition/gpt-type.js';
export { isGuid, readGuid, writeGuid } from './partition/guid.js';
export type {
  GptDamage,
  GptPartition,
  MbrPartition,
  Partition,
  PartitionTable,
} from './partition/partition.js';
export {
  PartitionTableError,
  type PartitionTableErrorKind,
} from './partition/partition-table-error.js';
export { readPartitionTable } from './partition/read-partition-table.js';
export {
  type GptPartitionSpec,
  type GptUsableRange,
  type GptWriteOptions,
  gptUsableRange,
  writeGpt,
} from './partition/write-gpt.js';
export { type MbrPartitionSpec, type MbrWriteOptions, writeMbr } from './partition/write-mbr.js';
export { openPartition, PartitionDevice } from './partition-device.js';
export {
  type PowerCutOptions,
  type PowerCutReport,
  type PowerCutSurvivors,
  type PowerCutWrite,
  PowerLossBlockDevice,
} from './power-loss-block-device.js';
export {
  type BlockOp,
  type BlockTraceRecord,
  TracingBlockDevice,
  type TracingOptions,
} from './tracing-block-device.js';
