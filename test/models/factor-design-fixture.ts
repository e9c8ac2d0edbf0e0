// The crossed two-factor design the factor-prior tests share: treat (t0, t1) × batch (b0, b1, b2),
// one dataset per combination, dataset d = 3·treat + batch, two genes.

/** Factor names and levels of the design. */
export const DESIGN = {
  names: ["treat", "batch"],
  levels: [
    ["t0", "t1"],
    ["b0", "b1", "b2"],
  ],
};
/** Genes. */
export const G = 2;
/** One cell per dataset, in dataset order. */
export const DATASETS = [0, 1, 2, 3, 4, 5];
/** Model options of the design (mean–odds, unconstrained). */
export const base = {
  nCells: DATASETS.length,
  nGenes: G,
  parameterization: "mean_odds" as const,
  unconstrained: true,
  datasetIndices: DATASETS,
  datasetFactors: DESIGN,
};
