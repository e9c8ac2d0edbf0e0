/**
 * Plots as Vega-Lite specs (plain JSON, any runtime): fitting (loss, MCMC trace/rank/R-hat
 * and ESS), predictive checks (PPC, ECDF, mean calibration, capture, quantile-residual QQ),
 * mixtures (composition, per-component PPC, UMAP) and DE (volcano, MA, p-value histogram).
 * Render with {@link renderSvg}; write files with `savePlot` from `@scribe/models/node`.
 * @module
 */
export { type CapturePlotOptions, capturePlot, captureProbabilities } from "./capture.js";
export { type BayesianDeTableLike, type DePlotTable, isBayesianTable } from "./de-table.js";
export { type EcdfPlotOptions, ecdfPlot } from "./ecdf.js";
export { type LossPlotOptions, lossPlot, movingAverage } from "./loss.js";
export { type MaOptions, maPlot } from "./ma-plot.js";
export { type DiagnosticsPlotOptions, diagnosticsPlot } from "./mcmc-diagnostics.js";
export { type RankPlotOptions, rankPlot } from "./mcmc-rank.js";
export { type TracePlotOptions, tracePlot } from "./mcmc-trace.js";
export { type MeanCalibrationOptions, meanCalibration, meanCalibrationPlot } from "./mean-calibration.js";
export { type CompositionOptions, mixtureCompositionPlot } from "./mixture-composition.js";
export { type MixturePpcOptions, mixturePpcPlot } from "./mixture-ppc.js";
export { type PpcPlotOptions, ppcPlot } from "./ppc.js";
export { genesAcrossExpression, type PredictiveSelection } from "./predictive-data.js";
export { type PvalueHistogramOptions, pvalueHistogram } from "./pvalue-histogram.js";
export { type QqPlotOptions, qqPlot } from "./qq.js";
export { compileToVega, renderSvg, renderView } from "./render.js";
export { type SiteDraws, type SiteSelection, siteDrawsFromTensors } from "./site-draws.js";
export {
  DEFAULT_COLORS,
  JUPYTER_DISPLAY,
  type PlotOptions,
  type PlotSpec,
  plotSpec,
  THEME,
  withDisplay,
} from "./spec.js";
export { type UmapOptions, type UmapPlotOptions, umapEmbedding, umapPlot } from "./umap.js";
export { type VolcanoOptions, volcanoPlot } from "./volcano.js";
