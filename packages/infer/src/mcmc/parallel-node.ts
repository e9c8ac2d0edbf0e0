/**
 * Parallel chains on Node worker threads (Node only; loaded by the MCMC driver on demand).
 * Each worker imports the kernel's module, runs chains and transfers their draws back; the
 * calling thread can run chains too, and loaded workers are kept for later runs.
 * @module
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Key } from "@scribe/core";
import type { ChainState, StepRecord } from "./chain.js";
import type { KernelModuleSpec, RunOptions } from "./mcmc.js";
import type { WorkerJob, WorkerMessage, WorkerPreload } from "./parallel-worker.js";
import type { ChainPlan, ChainResult } from "./run-chain.js";
import { packArgs } from "./worker-args.js";

function spawn(): Worker {
  const js = new URL("./parallel-worker.js", import.meta.url);
  if (import.meta.url.endsWith(".ts")) {
    // Development: the sources are TypeScript run through tsx; register it in the worker.
    const ts = new URL("./parallel-worker.ts", import.meta.url);
    const code = `import("tsx/esm/api").then((api) => { api.register(); return import(${JSON.stringify(ts.href)}); });`;
    return new Worker(code, { eval: true });
  }
  return new Worker(js);
}

/**
 * Idle workers kept from earlier runs. Starting a worker costs far more than a short run's
 * sampling (it loads the library, through tsx in development: seconds of wall time on a
 * small loaded machine, which made 2 parallel chains of eight schools 4× slower than
 * sequential), so a loaded worker waits here, unref'd so it never keeps the process alive,
 * for the next run's chains. A worker that failed or was aborted is terminated instead.
 */
const idleWorkers: Worker[] = [];

/** A run's lane waiting for a loaded worker (given `null` when its run no longer needs one). */
interface Waiter {
  resolve(w: Worker | null): void;
  reject(e: unknown): void;
}
const waiters: Waiter[] = [];
/** Workers started for waiting lanes and still loading (they serve whichever lane waits first). */
let loadingCount = 0;

/** Hand a loaded worker to the first waiting lane, else keep it in the pool. */
function release(w: Worker): void {
  w.removeAllListeners("message");
  w.removeAllListeners("error");
  w.removeAllListeners("exit");
  // A pooled worker that dies later leaves the pool quietly.
  w.once("exit", () => {
    const i = idleWorkers.indexOf(w);
    if (i >= 0) idleWorkers.splice(i, 1);
  });
  const waiter = waiters.shift();
  if (waiter) {
    waiter.resolve(w);
    return;
  }
  w.unref();
  idleWorkers.push(w);
}

/**
 * A loaded worker for a lane: an idle one at once, else the next one to finish loading. A
 * new worker is started only while fewer are loading than lanes wait, so runs that end
 * before their workers have loaded do not pile up start-ups: the next run gets those.
 */
function nextWorker(kernelModule: KernelModuleSpec, mine: Set<Waiter>): Worker | Promise<Worker | null> {
  const idle = idleWorkers.pop();
  if (idle) return idle;
  return new Promise<Worker | null>((resolve, reject) => {
    const waiter: Waiter = {
      resolve: (w) => {
        mine.delete(waiter);
        resolve(w);
      },
      reject: (e) => {
        mine.delete(waiter);
        reject(e);
      },
    };
    mine.add(waiter);
    waiters.push(waiter);
    if (loadingCount < waiters.length) {
      loadingCount++;
      startWorker(kernelModule).then(
        (w) => {
          loadingCount--;
          release(w);
        },
        (e: unknown) => {
          loadingCount--;
          waiters.shift()?.reject(e);
        },
      );
    }
  });
}

/** Withdraw a run's waiting lanes (each is given `null`); their workers go to the pool. */
function withdraw(mine: Set<Waiter>): void {
  for (const waiter of [...mine]) {
    const i = waiters.indexOf(waiter);
    if (i >= 0) waiters.splice(i, 1);
    waiter.resolve(null);
  }
}

/**
 * Terminate the idle workers kept for later runs (they never keep the process alive anyway;
 * a worker still loading joins the pool when it has loaded).
 */
export async function closeIdleWorkers(): Promise<void> {
  const ws = idleWorkers.splice(0);
  await Promise.all(ws.map((w) => w.terminate()));
}

/**
 * Start a worker and resolve with it once it has loaded the library (and imported
 * `kernelModule`, when given). It stays unref'd while loading, so a run that no longer
 * needs it (the other lanes took every chain) never waits for it.
 */
function startWorker(kernelModule?: KernelModuleSpec): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    const w = spawn();
    w.unref();
    let preloading = false;
    w.on("message", (m: WorkerMessage) => {
      if (m.type === "error") {
        void w.terminate();
        reject(new Error(m.message));
        return;
      }
      if (m.type !== "ready") return;
      if (kernelModule && !preloading) {
        preloading = true; // loaded: now import the kernel's module too
        w.postMessage({ preload: kernelModule } satisfies WorkerPreload);
        return;
      }
      // by name: removing every listener would drop Node's own, which keep messages flowing
      for (const ev of ["message", "error", "exit"]) w.removeAllListeners(ev);
      resolve(w);
    });
    w.once("error", (e) => {
      void w.terminate();
      reject(e);
    });
    w.once("exit", (code) => reject(new Error(`MCMC worker exited with code ${code} while loading`)));
  });
}

/**
 * Start workers ahead of a parallel run, so that their start-up (loading the library:
 * seconds through tsx on a small loaded machine) overlaps the caller's other work instead
 * of the first run: fills the idle pool up to `n` (default and at most
 * `availableParallelism()`) and resolves, with the pool's size, once each new worker has
 * loaded (and imported `kernelModule`, the run's `kernelModule` option, when given).
 * @example
 * // fragment: `spec`, `loadData` and `mcmc` are the reader's
 * const warming = prewarmMcmcWorkers(2, spec); // spec: the run's kernelModule; while the data load
 * const data = await loadData();
 * await warming;
 * await mcmc.run(key(0), data); // chainMethod "parallel": no cold start
 */
export async function prewarmWorkers(
  n = availableParallelism(),
  kernelModule?: KernelModuleSpec,
): Promise<number> {
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`prewarmMcmcWorkers: n must be a non-negative integer, got ${n}`);
  const want = Math.max(0, Math.min(n, availableParallelism()) - idleWorkers.length);
  await Promise.all(
    Array.from({ length: want }, async () => {
      try {
        release(await startWorker(kernelModule));
      } catch (e) {
        throw new Error(`prewarmMcmcWorkers: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );
  return idleWorkers.length;
}

/** Run one job on the loaded worker `w`; it goes back to the pool when done, else is terminated. */
function runOne(
  w: Worker,
  job: WorkerJob,
  chain: number,
  onProgress: (it: number, rec: StepRecord) => void,
  signal?: AbortSignal,
): Promise<ChainResult> {
  return new Promise((resolve, reject) => {
    w.ref();
    let settled = false;
    let last = 0;
    const onAbort = () =>
      finish(() =>
        reject(
          new Error(`MCMC: run aborted in chain ${chain} after iteration ${last}`, { cause: signal?.reason }),
        ),
      );
    const finish = (f: () => void, keep = false) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      if (keep) release(w);
      else void w.terminate();
      f();
    };
    signal?.addEventListener("abort", onAbort);
    w.on("message", (m: WorkerMessage) => {
      if (m.type === "ready") return;
      if (m.type === "progress") {
        last = m.iteration + 1;
        onProgress(m.iteration, m.rec);
      } else if (m.type === "done") finish(() => resolve(m.result), true);
      else finish(() => reject(new Error(`parallel MCMC worker failed: ${m.message}`)));
    });
    w.on("error", (e) => finish(() => reject(e)));
    w.on("exit", (code) =>
      finish(() => reject(new Error(`parallel MCMC worker exited early with code ${code}`))),
    );
    if (signal?.aborted) onAbort();
    else w.postMessage(job);
  });
}

/**
 * Runs chain `c` on the calling thread (the caller's kernel and setup), stopping when
 * `signal` aborts.
 */
export type LocalChainRunner = (c: number, signal: AbortSignal) => Promise<ChainResult>;

/**
 * Run one chain per key on worker threads (each on its own cpu backend), at most
 * `availableParallelism()` at a time; `signal` terminates the workers.
 * Model arguments must be structured-cloneable (plain data, typed arrays) or tensors (sent
 * as their values and rebuilt in each worker, see worker-args.ts). With `starts`,
 * chain `c` continues from `starts[c]` (no warmup). Each worker also computes its draws'
 * output-site values (deterministic sites included), so that work runs in parallel too.
 *
 * Each lane takes the next chain when it is free, and a worker lane only once its worker has
 * loaded (the library and the kernel's module). With `runHere`, the calling thread is one of
 * the lanes: it would otherwise wait idle, its kernel is set up and usually warm, while a
 * fresh worker pays for loading and for V8 compiling the sampler afresh in its isolate (per
 * chain of eight schools more than the sampling itself, bench/mcmc-parallel.ts). So 2 chains
 * on 2 cores use one worker, and on a cold start the calling thread goes on to the next chain
 * while that worker still loads: a cold parallel run is no slower than a sequential one, and
 * the worker, once loaded, waits in the pool for the next run.
 */
export async function runChainsParallel(
  spec: KernelModuleSpec,
  keys: readonly Key[],
  plan: ChainPlan,
  ro: RunOptions,
  onProgress: (chain: number, it: number, rec: StepRecord) => void,
  starts?: readonly ChainState[],
  signal?: AbortSignal,
  runHere?: LocalChainRunner,
): Promise<ChainResult[]> {
  const total = plan.numWarmup + plan.numSamples * plan.thinning;
  const every = Math.max(1, Math.floor(total / 100));
  const limit = Math.max(1, Math.min(keys.length, availableParallelism()));
  const results: ChainResult[] = new Array(keys.length);
  if (keys.length === 0) return results;
  const args = await packArgs(ro.args ?? []);
  const jobFor = (c: number): WorkerJob => ({
    spec,
    key: keys[c]!,
    plan,
    args,
    initParams: ro.initParams ? Array.from(ro.initParams) : undefined,
    progressEvery: every,
    from: starts?.[c],
  });
  // the local chain stops when the run is aborted or another lane fails
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort);
  let next = 0;
  let finished = 0;
  let failed = false;
  const mine = new Set<Waiter>();
  return new Promise<ChainResult[]>((resolve, reject) => {
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      next = keys.length; // no lane takes another chain
      signal?.removeEventListener("abort", onAbort);
      withdraw(mine);
      stop.abort(e);
      reject(e);
    };
    const done = (c: number, r: ChainResult) => {
      results[c] = r;
      if (++finished === keys.length && !failed) {
        signal?.removeEventListener("abort", onAbort);
        withdraw(mine);
        resolve(results);
      }
    };
    const workerLane = async (): Promise<void> => {
      while (next < keys.length) {
        // an idle worker from the pool takes its chain at once; else the next one loaded
        const got = nextWorker(spec, mine);
        const w = got instanceof Worker ? got : await got; // no await for an idle worker: it starts first
        if (w === null) return; // the run is over
        if (next >= keys.length) {
          release(w); // loaded but not needed this time: kept for the next run
          return;
        }
        const c = next++;
        done(c, await runOne(w, jobFor(c), c, (it, rec) => onProgress(c, it, rec), signal));
      }
    };
    const localLane = async (run: LocalChainRunner): Promise<void> => {
      while (next < keys.length) {
        const c = next++;
        done(c, await run(c, stop.signal));
      }
    };
    // the workers' lanes first, so that their jobs are posted before this thread computes
    for (let i = 0; i < (runHere ? limit - 1 : limit); i++) workerLane().catch(fail);
    if (runHere) localLane(runHere).catch(fail);
  });
}
