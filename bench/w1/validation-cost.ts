/**
 * What validation adds to W1 (issue 12: at most 1.05× the bare kernel), split by part:
 * `valueAndGrad` of Σ log NB2(y | μ, θ) through the bare kernel, with the support mask
 * alone (`where(nonnegativeInteger.check(y), lp, −∞)`), with the support check fused into the
 * kernel instead (`nb2InSupportLogProb`, what validation uses), with the argument checks alone
 * (`NegativeBinomial2(μ, θ, true)` constructed, the kernel called directly), and through
 * `NegativeBinomial2.logProb` with validation off and on; and the tuned hand loop of
 * handwritten.ts (issue 13's bar), all interleaved. One thread; each variant's time is
 * the minimum over interleaved runs of the process's CPU time (user + system), which the
 * shared machine's load moves far less than wall time.
 * Run: `npx tsx bench/w1/validation-cost.ts [cells] [genes] [runs]` (default 2000 5000 15).
 */
import { cpuUsage } from "node:process";
import { exp, fromTypedArray, type Tensor, valueAndGrad, where } from "@scribe/core";
import {
  NegativeBinomial2,
  nb2InSupportLogProb,
  nb2LogProb,
  nonnegativeInteger,
} from "@scribe/distributions";
import { makeW1Data } from "./data.js";
import { w1Tuned } from "./handwritten.js";

const N = Number(process.argv[2] ?? 2000);
const G = Number(process.argv[3] ?? 5000);
const runs = Number(process.argv[4] ?? 15);
const d = makeW1Data(N, G, 0);
const y = fromTypedArray(Float32Array.from(d.y), [N, G]);
const params = {
  logMu: fromTypedArray(Float32Array.from(d.logMu), [1, G]),
  logTheta: fromTypedArray(Float32Array.from(d.logTheta), [1, G]),
  logLib: fromTypedArray(Float32Array.from(d.logLib), [N, 1]),
};
type Params = typeof params;

/** One evaluation: value and gradients computed and read, then freed. */
function evaluation(loss: (p: Params) => Tensor): () => void {
  const vg = valueAndGrad(loss);
  return () => {
    const [v, g] = vg(params);
    // reading is what makes the lazy value and gradients run (bench code, cpu)
    v.item();
    for (const t of [g.logMu, g.logTheta, g.logLib]) t.dataSync();
    v.dispose();
    for (const t of [g.logMu, g.logTheta, g.logLib]) t.dispose();
  };
}

const mean = (p: Params) => exp(p.logLib).mul(exp(p.logMu));
const variants: Record<string, () => void> = {
  kernel: evaluation((p) => nb2LogProb(y, mean(p), exp(p.logTheta)).sum()),
  "support mask only": evaluation((p) =>
    where(nonnegativeInteger.check(y), nb2LogProb(y, mean(p), exp(p.logTheta)), -Infinity).sum(),
  ),
  "support check fused in the kernel": evaluation((p) =>
    nb2InSupportLogProb(y, mean(p), exp(p.logTheta)).sum(),
  ),
  "argument checks only": evaluation((p) => {
    const m = mean(p);
    const theta = exp(p.logTheta);
    new NegativeBinomial2(m, theta, true); // validates μ and θ (deferred, joins the pass)
    return nb2LogProb(y, m, theta).sum();
  }),
  "argument checks + support mask": evaluation((p) => {
    const m = mean(p);
    const theta = exp(p.logTheta);
    new NegativeBinomial2(m, theta, true);
    return where(nonnegativeInteger.check(y), nb2LogProb(y, m, theta), -Infinity).sum();
  }),
  "NegativeBinomial2, validation off": evaluation((p) =>
    new NegativeBinomial2(mean(p), exp(p.logTheta), false).logProb(y).sum(),
  ),
  "NegativeBinomial2, validation on": evaluation((p) =>
    new NegativeBinomial2(mean(p), exp(p.logTheta), true).logProb(y).sum(),
  ),
};

// The bar of issue 13 in the same interleaved run, so the kernel's ratio to it shares the load.
variants["tuned hand loop (the bar)"] = () => void w1Tuned(d);

const best: Record<string, number> = {};
for (const [k, f] of Object.entries(variants)) {
  f(); // warm-up (code generation)
  best[k] = Number.POSITIVE_INFINITY;
}
for (let r = 0; r < runs; r++)
  for (const [k, f] of Object.entries(variants)) {
    const t0 = cpuUsage();
    f();
    const u = cpuUsage(t0);
    best[k] = Math.min(best[k]!, (u.user + u.system) / 1000);
  }
const kernel = best.kernel!;
console.log(
  `W1 validation cost: N = ${N} × G = ${G}, float32, cpu, 1 thread; min CPU time of ${runs} interleaved runs`,
);
for (const [k, ms] of Object.entries(best))
  console.log(`${k.padEnd(36)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / kernel).toFixed(3)}x the kernel`);
const bar = best["tuned hand loop (the bar)"]!;
console.log(
  `bare kernel ${(kernel / bar).toFixed(3)}x the bar; NegativeBinomial2 with validation on ${(best["NegativeBinomial2, validation on"]! / bar).toFixed(3)}x the bar`,
);
