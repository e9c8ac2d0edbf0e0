/**
 * The read-ahead worker of a backed fit (`backed-prefetch-node.ts`): opens the `.h5ad` file
 * itself and, per request `{ slot, tag, idx }`, reads those rows into its slot of the shared
 * buffer, then publishes `tag` in the slot's flag (or −1 when the read failed, so the fit reads
 * the rows itself). Node-only.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { readRowsDense } from "./backed-rows-node.js";
import { openAnnData } from "./h5ad-backed.js";

/** What the worker is started with. */
export interface RowsWorkerData {
  path: string;
  mergeGap: number;
  /** Float32 slots of `slotFloats` values each. */
  data: SharedArrayBuffer;
  slotFloats: number;
  /** Int32 flags: one per slot, then the ready flag. */
  flags: SharedArrayBuffer;
}

/** One read request. */
export interface RowsRequest {
  slot: number;
  tag: number;
  idx: Int32Array;
}

const init = workerData as RowsWorkerData;
const flags = new Int32Array(init.flags);
const data = new Float32Array(init.data);
const reads = { batches: 0, rows: 0, slabs: 0 };
const slots = flags.length - 1;
const ad = await openAnnData(init.path, { backed: true });
parentPort!.on("message", (req: RowsRequest | "close") => {
  if (req === "close") {
    ad.close();
    parentPort!.close();
    return;
  }
  let tag = req.tag;
  try {
    const n = req.idx.length * ad.shape[1];
    readRowsDense(
      ad,
      req.idx,
      init.mergeGap,
      reads,
      data.subarray(req.slot * init.slotFloats, req.slot * init.slotFloats + n),
    );
  } catch {
    tag = -1;
  }
  Atomics.store(flags, req.slot, tag);
  Atomics.notify(flags, req.slot);
});
Atomics.store(flags, slots, 1);
Atomics.notify(flags, slots);
