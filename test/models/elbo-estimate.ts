import { key, splitKey, type Tensor } from "@scribe/core";
import { TraceELBO } from "@scribe/infer";
import type { ModelOptions } from "@scribe/models/models/config.js";
import { scribeModel } from "@scribe/models/models/presets.js";

/**
 * Monte-Carlo ELBO of nbdm under fitted guide `params` (n single-particle draws, fixed keys),
 * with its standard error: how the flow-guide tests compare guides.
 */
export async function elboEstimate(
  opts: Partial<ModelOptions> & { nCells: number; nGenes: number },
  params: Readonly<Record<string, Tensor>>,
  counts: Tensor,
  n: number,
): Promise<{ elbo: number; se: number }> {
  const { model, guide } = scribeModel("nbdm", opts);
  const elbo = new TraceELBO();
  const values: number[] = [];
  for (const k of splitKey(key(2024), n)) {
    const loss = elbo.loss(k, { ...params }, model as never, guide as never, [counts, null] as never);
    values.push(-Number((await loss.data())[0]));
  }
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { elbo: mean, se: Math.sqrt(v / n) };
}
