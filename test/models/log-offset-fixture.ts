// What the per-cell log-offset tests share (laplace-log-offset, vae-log-offset): the simulated
// offsets and the shift the "log-library" offset leaves common to all genes.

/** The simulated per-cell log offsets o_c, spread evenly over [0, 2] (libraries over e²). */
export function evenLogOffsets(C: number): number[] {
  return Array.from({ length: C }, (_, c) => (2 * c) / (C - 1));
}

/**
 * δ = mean_c(o_c − log(N_c / N̄)): the shift between the simulated offsets o and the
 * "log-library" offsets computed from the counts [C, G] (totals N_c, their mean N̄; a cell
 * with no counts taken as total 1), common to all genes.
 */
export function libraryShift(counts: ArrayLike<number>, offsets: number[], G: number): number {
  const C = offsets.length;
  const totals = Array.from({ length: C }, (_, c) => {
    let t = 0;
    for (let g = 0; g < G; g++) t += counts[c * G + g]!;
    return t;
  });
  const nBar = totals.reduce((a, b) => a + b, 0) / C;
  return offsets.reduce((s, o, c) => s + o - Math.log(Math.max(totals[c]!, 1) / nBar), 0) / C;
}
