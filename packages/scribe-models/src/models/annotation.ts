/**
 * Annotation priors for mixtures (SCRIBE annotation priors): per-cell logits A [C, K] with A_ck = κ when cell
 * c carries the label of component k (κ = `annotation_confidence`, default 3), 0 otherwise.
 * @module
 */
import { fromTypedArray, type Tensor } from "@scribe/core";

/** Options of {@link annotationLogits}. */
export interface AnnotationOptions {
  /** κ, added to the log mixing weight of the labelled component (default 3). */
  confidence?: number;
  /** Label of each component, in order (default: the distinct labels sorted). */
  componentOrder?: readonly string[];
  /** Labels with fewer cells are treated as unlabelled (default 0). */
  minCells?: number;
}

/**
 * Build the annotation logit matrix from per-cell labels (`null`/"" = unlabelled).
 * @example
 * const { logits, components } = annotationLogits(["B", "T", null, "B"]);
 * // components ["B", "T"]; logits row 0 = [3, 0], row 2 = [0, 0]; cellComponents [0, 1, -1, 0]
 */
export function annotationLogits(
  labels: readonly (string | null)[],
  opts: AnnotationOptions = {},
): { logits: Tensor; components: string[]; cellComponents: Int32Array } {
  const kappa = opts.confidence ?? 3;
  if (!(kappa >= 0)) throw new Error(`annotation confidence must be ≥ 0, got ${kappa}`);
  const counts = new Map<string, number>();
  for (const l of labels) if (l !== null && l !== "") counts.set(l, (counts.get(l) ?? 0) + 1);
  const keep = (l: string) => (counts.get(l) ?? 0) >= (opts.minCells ?? 0);
  const components = opts.componentOrder ? [...opts.componentOrder] : [...counts.keys()].filter(keep).sort();
  const index = new Map(components.map((c, i) => [c, i] as const));
  const K = components.length;
  if (K === 0) throw new Error("annotation: no labelled cells");
  const data = new Float32Array(labels.length * K);
  const cellComponents = new Int32Array(labels.length).fill(-1);
  labels.forEach((l, c) => {
    if (l === null || !keep(l)) return;
    const k = index.get(l);
    if (k === undefined) return;
    data[c * K + k] = kappa;
    cellComponents[c] = k;
  });
  return { logits: fromTypedArray(data, [labels.length, K]), components, cellComponents };
}
