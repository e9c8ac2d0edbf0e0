/**
 * Browser-safe data IO: the AnnData-like container, matrices, column tables, MatrixMarket
 * text and count validation. File readers for Node (`readH5ad`, `writeH5ad`, `read10x`) are
 * in `./node.ts` (package entry `@scribe/models/node`).
 * @module
 */
export * from "./anndata.js";
export * from "./frame.js";
export * from "./matrix.js";
export * from "./mtx.js";
export * from "./validate.js";
