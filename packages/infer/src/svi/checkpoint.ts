/**
 * SVI checkpoints in a small binary format that runs anywhere (no `node:` imports): the
 * whole state — the optimizer's step, params and slots, and the random key — plus, from
 * `SVI.run`, the run's history (every loss so far, the skipped-step count, the early
 * stopping record and its best params), plus free JSON metadata. Typed arrays are stored
 * byte for byte, so a resumed run is the same run bit for bit. Tensors are read with the one
 * `await` per tensor, so it works on every backend. File IO lives in `checkpoint-node.ts`.
 *
 * Layout: 8 bytes magic `SCRBSVI1`, a little-endian uint32 header length, the UTF-8 JSON
 * header, then each array's bytes at an 8-byte-aligned offset given in the header.
 * Version 2 adds the `history` block; version 1 files (state only) still load.
 * @module
 */
import { fromTypedArray, type Key, keep, type Tensor, type TypedArray } from "@scribe/core";
import type { OptimizerState } from "../optim/optimizer.js";
import type { SVIRunHistory, SVISnapshot, SVIState } from "./svi-types.js";

const MAGIC = "SCRBSVI1";

interface TensorEntry {
  /** "params", "best" (early stopping's best params), "history" (host arrays) or a slot name. */
  group: string;
  name: string;
  dtype: string;
  shape: number[];
  offset: number;
  length: number;
}

interface Header {
  format: "scribe-svi-checkpoint";
  version: 1 | 2;
  step: number;
  rngKey: [number, number];
  meta: unknown;
  tensors: TensorEntry[];
  history?: { skippedSteps: number; earlyStopping: { bestLoss: number | null; bestStep: number } | null };
}

/** A checkpoint read back: the state, the run's history (when `SVI.run` saved it) and the metadata. */
export interface LoadedCheckpoint {
  state: SVIState;
  /** The history to pass back as `history` to `SVI.run` (absent in state-only checkpoints). */
  history?: SVIRunHistory;
  meta: unknown;
}

const ARRAYS: Record<string, new (b: ArrayBuffer, o: number, n: number) => TypedArray> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
};

function bytesOfArray(d: TypedArray): Uint8Array {
  const copy = d.slice();
  return new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
}

/**
 * Serialize an SVI state, or a snapshot of a run (state and history), with optional
 * JSON-able `meta`, to bytes.
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const guide = new AutoNormal(model);
 * const svi = new SVI(model, guide, adam(0.05), new TraceELBO());
 * const result = await svi.run(key(0), 50, [y]);
 * const bytes = await serializeSVIState(result.state, { dataset: "toy" }); // e.g. to a file or IndexedDB
 * const { state, meta } = deserializeSVIState(bytes); // meta: { dataset: "toy" }
 * await svi.run(key(0), 50, [y], { initState: state }); // continues where the first run stopped
 */
export async function serializeSVIState(
  stateOrSnapshot: SVIState | SVISnapshot,
  meta: unknown = null,
): Promise<Uint8Array> {
  const snap = "state" in stateOrSnapshot ? stateOrSnapshot : null;
  const state = snap ? snap.state : (stateOrSnapshot as SVIState);
  const os = state.optimState;
  const items: { entry: TensorEntry; bytes: Uint8Array }[] = [];
  const add = async (group: string, name: string, t: Tensor) =>
    items.push({
      entry: { group, name, dtype: t.dtype, shape: [...t.shape], offset: 0, length: 0 },
      bytes: bytesOfArray(await t.data()),
    });
  for (const [k, t] of Object.entries(os.params)) await add("params", k, t);
  for (const [k, slots] of Object.entries(os.slots))
    for (const [s, t] of Object.entries(slots)) await add(`slot:${s}`, k, t);
  if (snap) {
    for (const [k, t] of Object.entries(snap.bestParams ?? {})) await add("best", k, t);
    items.push({
      entry: {
        group: "history",
        name: "losses",
        dtype: "float64",
        shape: [snap.losses.length],
        offset: 0,
        length: 0,
      },
      bytes: bytesOfArray(snap.losses),
    });
  }
  let off = 0;
  for (const it of items) {
    it.entry.offset = off;
    it.entry.length = it.bytes.byteLength;
    off += Math.ceil(it.bytes.byteLength / 8) * 8;
  }
  const header: Header = {
    format: "scribe-svi-checkpoint",
    version: 2,
    step: os.step,
    rngKey: [state.rngKey.hi, state.rngKey.lo],
    meta,
    tensors: items.map((i) => i.entry),
  };
  if (snap) {
    const es = snap.earlyStopping;
    // JSON has no Infinity: an early stopping record without a best yet stores null.
    header.history = {
      skippedSteps: snap.skippedSteps,
      earlyStopping: es
        ? { bestLoss: Number.isFinite(es.bestLoss) ? es.bestLoss : null, bestStep: es.bestStep }
        : null,
    };
  }
  const h = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((12 + h.byteLength) / 8) * 8;
  const out = new Uint8Array(dataStart + off);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, h.byteLength, true);
  out.set(h, 12);
  for (const it of items) out.set(it.bytes, dataStart + it.entry.offset);
  return out;
}

/** Read a checkpoint written by {@link serializeSVIState}; its tensors are kept (free them with the optimizer's `dispose`). */
export function deserializeSVIState(bytes: Uint8Array): LoadedCheckpoint {
  if (bytes.byteLength < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC)
    throw new Error("SVI checkpoint: not a scribe SVI checkpoint (bad magic bytes)");
  const hlen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + hlen > bytes.byteLength) throw new Error("SVI checkpoint: truncated header");
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as Header;
  } catch (e) {
    throw new Error(`SVI checkpoint: corrupt header (${(e as Error).message})`);
  }
  if (header.format !== "scribe-svi-checkpoint" || (header.version !== 1 && header.version !== 2))
    throw new Error(`SVI checkpoint: unsupported format ${header.format} version ${header.version}`);
  const dataStart = Math.ceil((12 + hlen) / 8) * 8;
  const params: Record<string, Tensor> = {};
  const best: Record<string, Tensor> = {};
  const slots: Record<string, Record<string, Tensor>> = {};
  let losses: Float64Array | null = null;
  for (const e of header.tensors) {
    const Ctor = ARRAYS[e.dtype];
    if (!Ctor) throw new Error(`SVI checkpoint: tensor '${e.name}' has unknown dtype ${e.dtype}`);
    if (dataStart + e.offset + e.length > bytes.byteLength)
      throw new Error(`SVI checkpoint: tensor '${e.name}' runs past the end of the file (truncated?)`);
    const copy = bytes.slice(dataStart + e.offset, dataStart + e.offset + e.length);
    const arr = new Ctor(
      copy.buffer,
      0,
      e.length / (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT,
    );
    if (e.group === "history") {
      if (e.name === "losses") losses = arr as Float64Array;
      continue;
    }
    const t = keep(fromTypedArray(arr, e.shape));
    if (e.group === "params") params[e.name] = t;
    else if (e.group === "best") best[e.name] = t;
    else {
      const slot = e.group.replace(/^slot:/, "");
      slots[e.name] ??= {};
      slots[e.name]![slot] = t;
    }
  }
  for (const k of Object.keys(params)) slots[k] ??= {};
  const optimState: OptimizerState = { step: header.step, params, slots };
  const rngKey: Key = Object.freeze({ hi: header.rngKey[0], lo: header.rngKey[1] });
  const out: LoadedCheckpoint = { state: { optimState, rngKey }, meta: header.meta };
  if (header.history && losses) {
    const es = header.history.earlyStopping;
    out.history = {
      losses,
      skippedSteps: header.history.skippedSteps,
      ...(es
        ? { earlyStopping: { bestLoss: es.bestLoss ?? Number.POSITIVE_INFINITY, bestStep: es.bestStep } }
        : {}),
      ...(Object.keys(best).length ? { bestParams: best } : {}),
    };
  }
  return out;
}
