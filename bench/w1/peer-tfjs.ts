/**
 * W1 peer: TensorFlow.js 4.22 (`@tensorflow/tfjs-core` + `@tensorflow/tfjs-backend-wasm`).
 *
 * The NB log-likelihood written with TF.js elementwise ops, differentiated with
 * `tf.valueAndGrads`, on the wasm backend (single-threaded: tfjs-backend-wasm turns threads off
 * in Node). A full N × G evaluation does not fit in TF.js's wasm heap, so the cells are processed
 * in chunks of rows; the value and the gradients are accumulated as TF.js tensors and read back
 * once per evaluation. TF.js has no lgamma/digamma: lgamma is a Stirling series after shifting
 * the argument up by 6, and its derivative comes from autodiff of that approximation.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { W1Data } from "./data.js";
import type { PeerResult } from "./peer.js";

export type { PeerResult } from "./peer.js";

type TF = typeof import("@tensorflow/tfjs-core");
type Tensor = import("@tensorflow/tfjs-core").Tensor;

const NAME = "TensorFlow.js 4.22 wasm";
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const DEFAULT_CHUNK_ROWS = 250;

let tfPromise: Promise<{ tf: TF; simd: boolean; threads: number }> | null = null;

/** Load tfjs-core and the wasm backend once per process; point it at the package's .wasm files. */
function loadTf(): Promise<{ tf: TF; simd: boolean; threads: number }> {
  tfPromise ??= (async () => {
    const tf = await import("@tensorflow/tfjs-core");
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const require = createRequire(import.meta.url);
    // tfjs-core's Node build registers no gradients (the @tensorflow/tfjs union package normally
    // does); load tfjs-core's own gradient registrations. The dist/ ESM sources use extensionless
    // imports, which tsx's require() resolves; the registry is process-global, so the second copy
    // of those modules registers into the same engine.
    require("@tensorflow/tfjs-core/dist/register_all_gradients.js");
    // The package's "main" lies in dist/, next to the .wasm binaries; a plain file path (with a
    // trailing separator) makes the Emscripten loader read them with fs in Node.
    const distDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
    wasm.setWasmPaths(join(distDir, "/"));
    const ok = await tf.setBackend("wasm");
    if (!ok || tf.getBackend() !== "wasm") throw new Error("tf.setBackend('wasm') failed");
    await tf.ready();
    const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
    let threads = 1;
    try {
      threads = wasm.getThreadsCount();
    } catch {
      threads = 1;
    }
    return { tf, simd, threads };
  })();
  return tfPromise;
}

/** lgamma(x), x > 0: Stirling series at z = x + 6, minus log(x (x+1) ... (x+5)) (two 3-products). */
function lgammaTf(tf: TF, x: Tensor): Tensor {
  const z = tf.add(x, 6);
  const p1 = tf.mul(tf.mul(x, tf.add(x, 1)), tf.add(x, 2));
  const p2 = tf.mul(tf.mul(tf.add(x, 3), tf.add(x, 4)), tf.add(x, 5));
  const zi = tf.reciprocal(z);
  const zi2 = tf.square(zi);
  // 1/(12z) − 1/(360z³) + 1/(1260z⁵)
  const series = tf.mul(zi, tf.sub(1 / 12, tf.mul(zi2, tf.sub(1 / 360, tf.div(zi2, 1260)))));
  const stirling = tf.add(tf.sub(tf.mul(tf.sub(z, 0.5), tf.log(z)), z), tf.add(series, HALF_LOG_2PI));
  return tf.sub(stirling, tf.add(tf.log(p1), tf.log(p2)));
}

/**
 * Σ over a block of cells of log NB(y | μ = exp(logLib_c + logMu_g), θ = exp(logTheta_g)):
 * lgamma(y+θ) − lgamma(θ) − lgamma(y+1) + θ (log θ − log(θ+μ)) + y (log μ − log(θ+μ)).
 */
function blockLogLik(tf: TF, y: Tensor, logMu: Tensor, logTheta: Tensor, logLib: Tensor): Tensor {
  const n = logLib.shape[0]!;
  const G = logMu.shape[0]!;
  const lm = tf.add(tf.reshape(logLib, [n, 1]), tf.reshape(logMu, [1, G])); // log μ, n × G
  const lt = tf.reshape(logTheta, [1, G]);
  const th = tf.exp(lt);
  const lse = tf.log(tf.add(th, tf.exp(lm))); // log(θ + μ)
  const ll = tf.add(
    tf.sub(tf.sub(lgammaTf(tf, tf.add(y, th)), lgammaTf(tf, th)), lgammaTf(tf, tf.add(y, 1))),
    tf.add(tf.mul(th, tf.sub(lt, lse)), tf.mul(y, tf.sub(lm, lse))),
  );
  return tf.sum(ll);
}

export async function runPeer(d: W1Data, opts: { runs: number; chunkRows?: number }): Promise<PeerResult> {
  const { N, G } = d;
  const chunkRows = Math.max(1, Math.min(N, opts.chunkRows ?? DEFAULT_CHUNK_ROWS));
  const fail = (note: string): PeerResult => ({
    name: NAME,
    ms: null,
    value: Number.NaN,
    gLogMu: new Float32Array(G),
    gLogTheta: new Float32Array(G),
    gLogLib: new Float32Array(N),
    note,
  });
  let loaded: Awaited<ReturnType<typeof loadTf>>;
  try {
    loaded = await loadTf();
  } catch (e) {
    return fail(`TF.js wasm backend failed to load: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { tf } = loaded;
  const kept: Tensor[] = [];
  try {
    const logMu = tf.tensor1d(d.logMu, "float32");
    const logTheta = tf.tensor1d(d.logTheta, "float32");
    kept.push(logMu, logTheta);
    // One gradient function per block of cells, with that block's counts closed over (so no
    // gradient is formed for y).
    type VG = (xs: Tensor[]) => { value: Tensor; grads: Tensor[] };
    const blocks: { logLib: Tensor; vg: VG }[] = [];
    for (let c0 = 0; c0 < N; c0 += chunkRows) {
      const n = Math.min(chunkRows, N - c0);
      const y = tf.tensor2d(d.y.subarray(c0 * G, (c0 + n) * G), [n, G], "float32");
      const logLib = tf.tensor1d(d.logLib.subarray(c0, c0 + n), "float32");
      kept.push(y, logLib);
      const vg = tf.valueAndGrads((mu: Tensor, th: Tensor, lib: Tensor) => blockLogLik(tf, y, mu, th, lib));
      blocks.push({ logLib, vg: vg as VG });
    }

    // One evaluation: value and all three gradients, read back to JS.
    const evaluate = async () => {
      type Acc = { value: Tensor; gMu: Tensor; gTh: Tensor; gLib: Tensor[] };
      let acc: Acc = tf.tidy(() => ({
        value: tf.scalar(0) as Tensor,
        gMu: tf.zeros([G]),
        gTh: tf.zeros([G]),
        gLib: [] as Tensor[],
      }));
      for (const b of blocks) {
        const next: Acc = tf.tidy(() => {
          const { value, grads } = b.vg([logMu, logTheta, b.logLib]);
          return {
            value: tf.add(acc.value, value),
            gMu: tf.add(acc.gMu, grads[0]!),
            gTh: tf.add(acc.gTh, grads[1]!),
            gLib: [...acc.gLib, grads[2]!],
          };
        });
        tf.dispose([acc.value, acc.gMu, acc.gTh]);
        acc = next;
      }
      const gLibT = tf.concat(acc.gLib, 0);
      tf.dispose(acc.gLib);
      const [v, gMu, gTh, gLib] = await Promise.all([
        acc.value.data(),
        acc.gMu.data(),
        acc.gTh.data(),
        gLibT.data(),
      ]);
      tf.dispose([acc.value, acc.gMu, acc.gTh, gLibT]);
      return {
        value: v[0]!,
        gLogMu: Float32Array.from(gMu),
        gLogTheta: Float32Array.from(gTh),
        gLogLib: Float32Array.from(gLib),
      };
    };

    const before = tf.memory().numTensors;
    let out = await evaluate(); // warm-up
    const times: number[] = [];
    for (let r = 0; r < opts.runs; r++) {
      const t0 = performance.now();
      out = await evaluate();
      times.push(performance.now() - t0);
    }
    const leaked = tf.memory().numTensors - before;
    times.sort((a, b) => a - b);
    const ms = times.length ? times[(times.length - 1) >> 1]! : null;
    const note =
      `tf.valueAndGrads, wasm backend (${loaded.simd ? "SIMD" : "no SIMD"}, ${loaded.threads} thread` +
      `${loaded.threads === 1 ? "" : "s"}: tfjs-backend-wasm disables threads in Node), chunked over ` +
      `${chunkRows} cells at a time (the full N × G graph runs out of wasm memory), tf.tidy per chunk; ` +
      "lgamma = Stirling series after a shift by 6 (TF.js has no lgamma/digamma), so its gradient " +
      "is autodiff of that approximation; float32 throughout" +
      (leaked !== 0 ? `; WARNING: ${leaked} tensors leaked over ${opts.runs + 1} evaluations` : "");
    return { name: NAME, ms, ...out, note };
  } catch (e) {
    return fail(`TF.js error: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    tf.dispose(kept);
  }
}
