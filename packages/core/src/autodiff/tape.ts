import type { TapeNode, Tensor } from "../tensor/tensor.js";

/**
 * The autodiff tape is implicit: while a gradient is being taken, every op whose inputs
 * include a tracked tensor marks its output tracked and attaches a TapeNode to it.
 */
let recordingDepth = 0;

export function isRecording(): boolean {
  return recordingDepth > 0;
}

export function withRecording<T>(on: boolean, fn: () => T): T {
  const saved = recordingDepth;
  recordingDepth = on ? saved + 1 : 0;
  try {
    return fn();
  } finally {
    recordingDepth = saved;
  }
}

/** Attach a gradient rule to `out` if any input is being differentiated. */
export function record(out: Tensor, inputs: readonly Tensor[], op: string, vjp: TapeNode["vjp"]): Tensor {
  if (recordingDepth === 0) return out;
  let any = false;
  for (const t of inputs) if (t._tracked) any = true;
  if (!any) return out;
  out._tracked = true;
  out._node = { inputs, vjp, op };
  return out;
}
