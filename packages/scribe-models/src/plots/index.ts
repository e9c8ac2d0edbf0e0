/**
 * Plots as Vega-Lite specs (plain JSON, any runtime): fitting (loss, MCMC trace/rank/R-hat
 * and ESS), predictive checks (PPC, ECDF, mean calibration, capture, quantile-residual QQ),
 * mixtures (composition, per-component PPC, UMAP) and DE (volcano, MA, p-value histogram).
 * Render with {@link renderSvg}; write files with `savePlot` from `@scribe/models/node`.
 * @module
 */
export { capturePlot, type CapturePlotOptions, captureProbabilities } from "./capture.js";
export { type BayesianDeTableLike, type DePlotTable, isBayesianTable } from "./de-table.js";
export { ecdfPlot, type EcdfPlotOptions } from "./ecdf.js";
export { lossPlot, type LossPlotOptions, movingAverage } from "./loss.js";
export { maPlot, type MaOptions } from "./ma-plot.js";
export { diagnosticsPlot, type DiagnosticsPlotOptions } from "./mcmc-diagnostics.js";
export { rankPlot, type RankPlotOptions } from "./mcmc-rank.js";
export { tracePlot, type TracePlotOptions } from "./mcmc-trace.js";
export { meanCalibration, type MeanCalibrationOptions, meanCalibrationPlot } from "./mean-calibration.js";
export { type CompositionOptions, mixtureCompositionPlot } from "./mixture-composition.js";
export { type MixturePpcOptions, mixturePpcPlot } from "./mixture-ppc.js";
export { ppcPlot, type PpcPlotOptions } from "./ppc.js";
export { genesAcrossExpression, type PredictiveSelection } from "./predictive-data.js";
export { pvalueHistogram, type PvalueHistogramOptions } from "./pvalue-histogram.js";
export { qqPlot, type QqPlotOptions } from "./qq.js";
export { compileToVega, renderSvg, renderView } from "./render.js";
export { type SiteDraws, type SiteSelection, siteDrawsFromTensors } from "./site-draws.js";
export { DEFAULT_COLORS, JUPYTER_DISPLAY, type PlotOptions, type PlotSpec, plotSpec, THEME, withDisplay } from "./spec.js";
export { umapEmbedding, type UmapOptions, umapPlot, type UmapPlotOptions } from "./umap.js";
export { volcanoPlot, type VolcanoOptions } from "./volcano.js";
