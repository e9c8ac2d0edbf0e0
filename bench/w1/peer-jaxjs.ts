/**
 * W1 peer: jax-js 0.1.25 (`@jax-js/jax`) on its wasm backend.
 *
 * The NB log-likelihood is a jax-js function of (logMu, logTheta, logLib, y), differentiated with
 * `valueAndGrad` over the first three arguments and compiled with `jit` (kernel fusion). jax-js
 * has no lgamma/digamma: lgamma is a Stirling series after shifting the argument up by 6, and its
 * derivative comes from autodiff of that approximation.
 *
 * Threads: jax-js's wasm backend runs its kernels on a pool of Web Workers over a shared
 * WebAssembly.Memory when `SharedArrayBuffer` and a global `Worker` exist. Node 20 has no global
 * `Worker`, so by default it runs on one thread; with `workers` on (the default) this module
 * installs a minimal Web-Worker shim over `node:worker_threads` before jax-js's wasm backend is
 * created, sized to the machine's available parallelism. The choice is fixed for the process at
 * the first call (jax-js creates its wasm backend once); `JAXJS_WORKERS=0` turns it off.
 */
import { resolveObjectURL } from "node:buffer";
import { availableParallelism } from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";
import type { W1Data } from "./data.js";
import type { PeerResult } from "./peer.js";

export type { PeerResult } from "./peer.js";

type Jax = typeof import("@jax-js/jax");
type Arr = import("@jax-js/jax").Array;

const NAME = "jax-js 0.1.25 wasm";
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

// ---------------------------------------------------------------------------------------------
// Web Worker shim over node:worker_threads (only what jax-js's WasmWorkerPool uses: a Blob URL
// of classic-script source, postMessage, onmessage with `{ data }`, onerror).

const WORKER_BOOT = `
const { parentPort } = require("node:worker_threads");
globalThis.self = globalThis;
globalThis.postMessage = (m) => parentPort.postMessage(m);
let loaded = false;
parentPort.on("message", (m) => {
  if (!loaded) {
    loaded = true;
    (0, eval)(m.source);
    return;
  }
  if (typeof self.onmessage === "function") self.onmessage({ data: m });
});
`;

class NodeWebWorker {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  readonly #w: NodeWorker;
  #sent: Promise<void>;
  #inFlight = 0;

  constructor(url: string | URL) {
    const blob = resolveObjectURL(String(url));
    if (!blob) throw new Error(`worker shim: cannot resolve ${String(url)}`);
    this.#w = new NodeWorker(WORKER_BOOT, { eval: true });
    this.#w.unref(); // referenced only while a reply is awaited, so an idle pool never keeps Node alive
    this.#w.on("message", (data: unknown) => {
      if (--this.#inFlight === 0) this.#w.unref();
      this.onmessage?.({ data });
    });
    this.#w.on("error", (err: Error) => this.onerror?.({ message: err.message }));
    this.#sent = blob.text().then((source) => this.#w.postMessage({ source }));
  }

  postMessage(msg: unknown): void {
    // Every message jax-js sends gets exactly one reply ("ready" or "done").
    if (this.#inFlight++ === 0) this.#w.ref();
    this.#sent = this.#sent.then(() => this.#w.postMessage(msg));
  }

  terminate(): void {
    void this.#w.terminate();
  }
}

// ---------------------------------------------------------------------------------------------

let jaxPromise: Promise<{ jax: Jax; workers: number }> | null = null;

function loadJax(wantWorkers: boolean): Promise<{ jax: Jax; workers: number }> {
  jaxPromise ??= (async () => {
    const g = globalThis as Record<string, unknown>;
    let workers = 0;
    let shimmedNavigator = false;
    if (wantWorkers && typeof SharedArrayBuffer !== "undefined") {
      if (g.Worker === undefined) g.Worker = NodeWebWorker; // must stay: jax-js re-checks it later
      if (g.navigator === undefined) {
        // jax-js sizes its pool from navigator.hardwareConcurrency (else 4); Node 20 has no navigator.
        g.navigator = { hardwareConcurrency: availableParallelism(), userAgent: "node" };
        shimmedNavigator = true;
      }
      workers = (g.navigator as { hardwareConcurrency?: number }).hardwareConcurrency ?? 4;
    }
    try {
      const jax = await import("@jax-js/jax");
      const ok = await jax.init("wasm"); // creates the wasm backend (and its worker pool) now
      if (!ok.includes("wasm")) throw new Error("jax-js: wasm backend unavailable");
      jax.defaultDevice("wasm");
      return { jax, workers };
    } finally {
      if (shimmedNavigator) delete g.navigator;
    }
  })();
  return jaxPromise;
}

/** lgamma(x), x > 0 (consumes x): Stirling series at z = x + 6, minus log(x (x+1) ... (x+5)). */
function lgammaJ(jax: Jax, x: Arr): Arr {
  const np = jax.numpy;
  const z = x.ref.add(6);
  const p1 = x.ref.mul(x.ref.add(1)).mul(x.ref.add(2));
  const p2 = x.ref.add(3).mul(x.ref.add(4)).mul(x.add(5));
  const zi = np.reciprocal(z.ref);
  const zi2 = zi.ref.mul(zi.ref);
  // 1/(12z) − 1/(360z³) + 1/(1260z⁵)
  const series = zi.mul(np.subtract(1 / 12, zi2.ref.mul(np.subtract(1 / 360, zi2.div(1260)))));
  const stirling = z.ref.sub(0.5).mul(np.log(z.ref)).sub(z).add(series).add(HALF_LOG_2PI);
  return stirling.sub(np.log(p1).add(np.log(p2)));
}

/**
 * Σ_cg log NB(y | μ = exp(logLib_c + logMu_g), θ = exp(logTheta_g)) =
 * Σ lgamma(y+θ) − lgamma(θ) − lgamma(y+1) + θ (log θ − log(θ+μ)) + y (log μ − log(θ+μ)).
 * Takes ownership of all four arguments (jax-js convention).
 */
function nbLogLik(jax: Jax, logMu: Arr, logTheta: Arr, logLib: Arr, y: Arr): Arr {
  const np = jax.numpy;
  const G = logMu.shape[0]!;
  const N = logLib.shape[0]!;
  const lm = logLib.reshape([N, 1]).add(logMu.reshape([1, G])); // log μ, N × G
  const lt = logTheta.reshape([1, G]);
  const th = np.exp(lt.ref);
  const lse = np.log(th.ref.add(np.exp(lm.ref))); // log(θ + μ)
  const lgTh = lgammaJ(jax, th.ref);
  const ll = lgammaJ(jax, y.ref.add(th.ref))
    .sub(lgTh)
    .sub(lgammaJ(jax, y.ref.add(1)))
    .add(th.mul(lt.sub(lse.ref)))
    .add(y.mul(lm.sub(lse)));
  return ll.sum();
}

/**
 * `workers` (default on; env JAXJS_WORKERS=0 turns it off) is fixed by the first call in a process.
 * `jit: false` (env JAXJS_JIT=0) runs `valueAndGrad` eagerly instead of under `jit`, for comparison
 * only: eager materialises every N × G intermediate and exceeds jax-js's 4 GiB wasm memory at full
 * W1 size (it is faster than jit on small instances).
 */
export async function runPeer(
  d: W1Data,
  opts: { runs: number; workers?: boolean; jit?: boolean },
): Promise<PeerResult> {
  const { N, G } = d;
  const fail = (note: string): PeerResult => ({
    name: NAME,
    ms: null,
    value: Number.NaN,
    gLogMu: new Float32Array(G),
    gLogTheta: new Float32Array(G),
    gLogLib: new Float32Array(N),
    note,
  });
  const wantWorkers = opts.workers ?? process.env.JAXJS_WORKERS !== "0";
  const useJit = opts.jit ?? process.env.JAXJS_JIT !== "0";
  let loaded: Awaited<ReturnType<typeof loadJax>>;
  try {
    loaded = await loadJax(wantWorkers);
  } catch (e) {
    return fail(`jax-js failed to load: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { jax } = loaded;
  const np = jax.numpy;
  const owned: Arr[] = [];
  let vg: ReturnType<typeof makeVg> | null = null;
  function makeVg() {
    const f = jax.valueAndGrad((mu: Arr, th: Arr, lib: Arr, y: Arr) => nbLogLik(jax, mu, th, lib, y), {
      argnums: [0, 1, 2],
    });
    return useJit ? jax.jit(f) : Object.assign(f, { dispose() {} });
  }
  try {
    const logMu = np.array(Float32Array.from(d.logMu));
    const logTheta = np.array(Float32Array.from(d.logTheta));
    const logLib = np.array(Float32Array.from(d.logLib));
    const y = np.array(Float32Array.from(d.y)).reshape([N, G]);
    owned.push(logMu, logTheta, logLib, y);
    vg = makeVg();
    const f = vg;

    // One evaluation: value and all three gradients, read back to JS (data() consumes each).
    const evaluate = async () => {
      const [value, grads] = f(logMu.ref, logTheta.ref, logLib.ref, y.ref);
      const [gMu, gTh, gLib] = grads as unknown as [Arr, Arr, Arr];
      const [v, a, b, c] = await Promise.all([value.data(), gMu.data(), gTh.data(), gLib.data()]);
      return {
        value: Number(v[0]),
        gLogMu: Float32Array.from(a as Float32Array),
        gLogTheta: Float32Array.from(b as Float32Array),
        gLogLib: Float32Array.from(c as Float32Array),
      };
    };

    let out = await evaluate(); // warm-up (traces and compiles)
    const times: number[] = [];
    for (let r = 0; r < opts.runs; r++) {
      const t0 = performance.now();
      out = await evaluate();
      times.push(performance.now() - t0);
    }
    const badRc = owned.filter((a) => a.refCount !== 1).length;
    times.sort((a, b) => a - b);
    const ms = times.length ? times[(times.length - 1) >> 1]! : null;
    const threads =
      loaded.workers > 0
        ? `${loaded.workers} worker threads (jax-js's Web Worker pool over shared wasm memory, run ` +
          "through a node:worker_threads shim since Node 20 has no global Worker)"
        : "1 thread (no worker pool)";
    const note =
      `${useJit ? "jit(valueAndGrad)" : "valueAndGrad (eager, no jit)"} over (logMu, logTheta, logLib), ` +
      `y passed as an argument; wasm backend on ${threads}; ` +
      "lgamma = Stirling series after a shift by 6 (jax-js has no lgamma/digamma), so its gradient " +
      "is autodiff of that approximation; float32 throughout, full N × G in one call" +
      (badRc ? `; WARNING: ${badRc} input arrays have refCount ≠ 1 after the runs` : "");
    const name = `${NAME}, ${useJit ? "jit" : "eager"}, ${loaded.workers > 0 ? `${loaded.workers} workers` : "1 thread"}`;
    return { name, ms, ...out, note };
  } catch (e) {
    return fail(`jax-js error: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    for (const a of owned) if (a.refCount > 0) a.dispose();
    vg?.dispose();
  }
}
