/**
 * Read-ahead for a backed fit: a worker thread reads the next minibatches' rows while the
 * current step computes, into slots of a shared buffer (`backed-rows-node-worker.ts`).
 *
 * The rows a step will need follow from its random key, so the next keys are predicted
 * ({@link PlateKeyPlan}); a step whose plate key was predicted takes its rows from the worker,
 * any other (a mismatch, the worker not ready) reads them itself. The prediction only decides
 * where rows come from, never which: every step's indices are drawn from its actual key.
 * Node-only.
 * @module
 */
import { Worker } from "node:worker_threads";
import { type Key, splitKey } from "@scribe/core";
import type { RowsRequest, RowsWorkerData } from "./backed-rows-node-worker.js";
import { h5wasmUrl } from "./h5-runtime.js";

const sameKey = (a: Key, b: Key) => a.hi === b.hi && a.lo === b.lo;

/** The key `seed` gives the n-th site (0-based) that needs one, starting from `k`. */
function seedSubkey(k: Key, n: number): Key {
  let cur = k;
  for (let i = 0; ; i++) {
    const [next, sub] = splitKey(cur, 2) as [Key, Key];
    if (i === n) return sub;
    cur = next;
  }
}

/** The `[guide, model]` keys of one SVI step from the state key, and the next state key. */
function stepKeys(stateKey: Key): { next: Key; guideModel: [Key, Key] } {
  const [next, step] = splitKey(stateKey, 2) as [Key, Key];
  return { next, guideModel: splitKey(step, 2) as [Key, Key] };
}

const MAX_SITES = 256;

/**
 * Predicts the `cells` plate key of each coming SVI step. What it assumes about `SVI` (its
 * init splits the run key in 3: state, guide, model; each step splits the state key in 2:
 * next state, step; the ELBO splits the step key in 2: guide, model; `seed` splits once per
 * site that needs a key) is checked, not trusted: the plate's place among the sites is learned
 * from the first draw, and each prediction is compared with the key the plate actually got.
 */
export class PlateKeyPlan {
  private state: Key;
  private learned: { branch: 0 | 1; n: number } | null = null;
  private failed = false;
  private upcoming: Key[] = [];
  /** Index of the step whose key is `upcoming[0]`. */
  private step = 0;

  /** `runKey`: the key given to `SVI.run` (a fresh run) or the resumed state's key. */
  constructor(
    private readonly runKey: Key,
    private readonly resumed: boolean,
  ) {
    this.state = resumed ? runKey : (splitKey(runKey, 3)[0] as Key);
  }

  /** Find the plate's place from its first key; false when no place explains it. */
  private learn(k: Key): "init" | "step" | null {
    const find = (pair: Key[]) => {
      for (let n = 0; n < MAX_SITES; n++)
        for (const branch of [0, 1] as const)
          if (sameKey(seedSubkey(pair[branch]!, n), k)) return { branch, n };
      return null;
    };
    if (!this.resumed) {
      const [, g, m] = splitKey(this.runKey, 3) as [Key, Key, Key];
      this.learned = find([g, m]);
      if (this.learned) return "init";
    }
    this.learned = find(stepKeys(this.state).guideModel);
    return this.learned ? "step" : null;
  }

  private fill(count: number): void {
    const l = this.learned!; // fill runs after learning
    while (this.upcoming.length < count) {
      const { next, guideModel } = stepKeys(this.state);
      this.upcoming.push(seedSubkey(guideModel[l.branch], l.n));
      this.state = next;
    }
  }

  /**
   * The plate drew with key `k`: returns the step it was predicted for (then the prediction
   * moves on), or null (not predicted: an init draw, a replay, an unexplained key).
   */
  observe(k: Key): number | null {
    if (this.failed) return null;
    if (!this.learned) {
      const how = this.learn(k);
      if (!how) {
        this.failed = true;
        return null;
      }
      if (how === "init") return null;
      this.fill(1);
    }
    this.fill(1);
    if (!sameKey(this.upcoming[0]!, k)) return null;
    this.upcoming.shift();
    return this.step++;
  }

  /** The predicted keys of the next `count` steps after the last observed one, with their step numbers. */
  next(count: number): { step: number; key: Key }[] {
    if (!this.learned || this.failed) return [];
    this.fill(count);
    return this.upcoming.slice(0, count).map((key, i) => ({ step: this.step + i, key }));
  }
}

function spawn(data: RowsWorkerData): Worker {
  const js = new URL("./backed-rows-node-worker.js", import.meta.url);
  if (import.meta.url.endsWith(".ts")) {
    // development: the sources are TypeScript run through tsx; register it in the worker, after
    // loading h5wasm natively (see h5wasmUrl: through tsx it would cost ~600 MiB in this thread)
    const ts = new URL("./backed-rows-node-worker.ts", import.meta.url);
    const code = `import(${JSON.stringify(h5wasmUrl())}).then(() => import("tsx/esm/api")).then((api) => { api.register(); return import(${JSON.stringify(ts.href)}); });`;
    return new Worker(code, { eval: true, workerData: data });
  }
  return new Worker(js, { workerData: data });
}

/** The worker and its shared slots (see the module doc). */
export class RowPrefetcher {
  private readonly worker: Worker;
  private readonly flags: Int32Array;
  private readonly data: Float32Array;
  private readonly requested = new Map<number, { step: number; idx: Int32Array }>();
  private closed = false;

  constructor(
    path: string,
    private readonly slotFloats: number,
    private readonly depth: number,
    mergeGap: number,
  ) {
    const flags = new SharedArrayBuffer(4 * (depth + 1));
    const data = new SharedArrayBuffer(4 * slotFloats * depth);
    this.flags = new Int32Array(flags);
    this.data = new Float32Array(data);
    this.worker = spawn({ path, mergeGap, data, slotFloats, flags });
    this.worker.on("error", () => {
      // a failed worker only costs the read-ahead: every step then reads its own rows
      Atomics.store(this.flags, this.depth, -1);
    });
    this.worker.unref();
  }

  /** Resolves when the worker has opened the file (false when it failed or took over `ms`). */
  async ready(ms = 60_000): Promise<boolean> {
    const t0 = Date.now();
    while (Atomics.load(this.flags, this.depth) === 0 && Date.now() - t0 < ms)
      await new Promise((r) => setTimeout(r, 5));
    return Atomics.load(this.flags, this.depth) === 1;
  }

  /** Ask for rows `idx` of step `step` (ignored when its slot is busy or the worker is not up). */
  request(step: number, idx: Int32Array): void {
    const slot = step % this.depth;
    if (this.closed || Atomics.load(this.flags, this.depth) !== 1 || this.requested.has(slot)) return;
    this.requested.set(slot, { step, idx });
    Atomics.store(this.flags, slot, 0);
    const req: RowsRequest = { slot, tag: step + 1, idx };
    this.worker.postMessage(req);
  }

  /** Whether step `step` was asked for. */
  has(step: number): boolean {
    return this.requested.get(step % this.depth)?.step === step;
  }

  /**
   * The rows of step `step` (waits for the worker), or null when they were not asked for, the
   * read failed, or they were asked for other indices than `idx`; frees the slot.
   */
  take(step: number, idx: Int32Array, floats: number): Float32Array | null {
    const slot = step % this.depth;
    const req = this.requested.get(slot);
    if (req?.step !== step) return null;
    this.requested.delete(slot);
    const same = req.idx.length === idx.length && req.idx.every((v, i) => v === idx[i]);
    for (;;) {
      const v = Atomics.load(this.flags, slot);
      if (v === step + 1) break;
      if (v === -1) return null;
      if (Atomics.wait(this.flags, slot, v, 60_000) === "timed-out") return null;
    }
    if (!same) return null;
    const at = slot * this.slotFloats;
    return this.data.slice(at, at + floats);
  }

  /** Stop the worker. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.worker.terminate();
  }
}
