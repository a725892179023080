// Safetensors → Float32Arrays on the CPU, through the same streaming parser and checks as the GPU loader. For tests,
// tools and the CPU reference path; float tensors only (integer ones such as position_ids are skipped by default).
import type { SafetensorsDtype } from './dtypes.ts';
import { WeightsError } from './errors.ts';
import type { SafetensorsHeader } from './safetensors.ts';
import type { ByteSource } from './source.ts';
import { streamSafetensors, type StreamOptions } from './stream.ts';

export interface CpuTensor {
  name: string;
  shape: number[];
  sourceDtype: SafetensorsDtype;
  data: Float32Array;
}

export async function readSafetensors(
  source: ByteSource,
  options: Omit<StreamOptions, 'storage'> = {},
): Promise<{ tensors: Map<string, CpuTensor>; header: SafetensorsHeader }> {
  if (!source || typeof source.read !== 'function') throw new WeightsError('bad-argument', 'readSafetensors: source must be a ByteSource');
  const tensors = new Map<string, CpuTensor>();
  const header = await streamSafetensors(
    source,
    (info) => {
      const data = new Float32Array(info.numel);
      const bytes = new Uint8Array(data.buffer);
      return {
        write: (offset, block) => bytes.set(block, offset),
        end: () => void tensors.set(info.name, { name: info.name, shape: info.shape, sourceDtype: info.dtype, data }),
      };
    },
    { ...options, storage: 'f32' },
  );
  return { tensors, header };
}
