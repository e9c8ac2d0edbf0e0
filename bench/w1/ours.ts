import { exp, fromTypedArray, nb2LogProb, type Tensor, valueAndGrad } from "@scribe/core";
import type { W1Data } from "./data.js";

/** W1 through the public API: one valueAndGrad of the NB2 log-likelihood. */
export function makeOursW1(d: W1Data, dtype: "float32" | "float64") {
  const conv = (a: Float32Array) => (dtype === "float32" ? Float32Array.from(a) : Float64Array.from(a));
  const y = fromTypedArray(conv(d.y), [d.N, d.G]);
  const params = {
    logMu: fromTypedArray(conv(d.logMu), [1, d.G]),
    logTheta: fromTypedArray(conv(d.logTheta), [1, d.G]),
    logLib: fromTypedArray(conv(d.logLib), [d.N, 1]),
  };
  const loss = (p: { logMu: Tensor; logTheta: Tensor; logLib: Tensor }) =>
    nb2LogProb(y, exp(p.logLib).mul(exp(p.logMu)), exp(p.logTheta)).sum();
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
