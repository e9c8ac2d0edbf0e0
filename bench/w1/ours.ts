import { exp, fromTypedArray, type Tensor, valueAndGrad } from "@scribe/core";
import { NegativeBinomial2, nb2LogProb } from "@scribe/distributions";
import type { W1Data } from "./data.js";

/**
 * W1 through the public API: one valueAndGrad of the NB2 log-likelihood, either with the
 * core kernel directly or through `NegativeBinomial2(...).logProb(y).sum()` (argument
 * validation on or off).
 */
export function makeOursW1(
  d: W1Data,
  dtype: "float32" | "float64",
  via: "kernel" | "distribution" | "validated" = "kernel",
) {
  const conv = (a: Float32Array) => (dtype === "float32" ? Float32Array.from(a) : Float64Array.from(a));
  const y = fromTypedArray(conv(d.y), [d.N, d.G]);
  const params = {
    logMu: fromTypedArray(conv(d.logMu), [1, d.G]),
    logTheta: fromTypedArray(conv(d.logTheta), [1, d.G]),
    logLib: fromTypedArray(conv(d.logLib), [d.N, 1]),
  };
  const loss = (p: { logMu: Tensor; logTheta: Tensor; logLib: Tensor }) => {
    const mean = exp(p.logLib).mul(exp(p.logMu));
    if (via === "kernel") return nb2LogProb(y, mean, exp(p.logTheta)).sum();
    return new NegativeBinomial2(mean, exp(p.logTheta), via === "validated").logProb(y).sum();
  };
  const vg = valueAndGrad(loss);
  return () => {
    const [value, g] = vg(params);
    const out = {
      value: value.item(),
      gLogMu: g.logMu.dataSync(),
      gLogTheta: g.logTheta.dataSync(),
      gLogLib: g.logLib.dataSync(),
    };
    value.dispose();
    g.logMu.dispose();
    g.logTheta.dispose();
    g.logLib.dispose();
    return out;
  };
}

/** The same evaluation on the current backend with asynchronous readback (WebGPU). */
export function makeOursW1Async(d: W1Data) {
  const y = fromTypedArray(Float32Array.from(d.y), [d.N, d.G]);
  const params = {
    logMu: fromTypedArray(Float32Array.from(d.logMu), [1, d.G]),
    logTheta: fromTypedArray(Float32Array.from(d.logTheta), [1, d.G]),
    logLib: fromTypedArray(Float32Array.from(d.logLib), [d.N, 1]),
  };
  const vg = valueAndGrad((p: { logMu: Tensor; logTheta: Tensor; logLib: Tensor }) =>
    nb2LogProb(y, exp(p.logLib).mul(exp(p.logMu)), exp(p.logTheta)).sum(),
  );
  return async () => {
    const [value, g] = vg(params);
    // Read all four results at once: their copies go out together and the maps overlap.
    const [v, gLogMu, gLogTheta, gLogLib] = await Promise.all(
      [value, g.logMu, g.logTheta, g.logLib].map((t) => t.data()),
    );
    const out = { value: v![0]!, gLogMu: gLogMu!, gLogTheta: gLogTheta!, gLogLib: gLogLib! };
    for (const t of [value, g.logMu, g.logTheta, g.logLib]) t.dispose();
    return out;
  };
}
