/**
 * Node-only data IO entry (`@scribe/models/node`): `.h5ad` and 10x folders, plus everything
 * browser-safe from `./index.ts`.
 * @module
 */

export { type SavePlotOptions, savePlot, svgToPng } from "../plots/save-plot-node.js";
export { type PseudobulkOptions, pseudobulk } from "../pseudobulk/pseudobulk.js";
export {
  h5adRawShape,
  MissingXError,
  prepareH5ad,
  type ReadH5adOptions,
  readH5ad,
  type WriteH5adOptions,
  writeH5ad,
  type XSource,
} from "./h5ad.js";
export { type BackedAnnData, type OpenAnnDataOptions, openAnnData, type XBlock } from "./h5ad-backed.js";
export * from "./index.js";
export { type Read10xOptions, read10x, type Write10xOptions, write10x } from "./tenx.js";
