/**
 * Vite config of the in-browser fit page (`npm run browser`): the @scribe/* imports resolve
 * through the packages' `exports` to their TypeScript sources (the "scribe-source" condition),
 * so the page needs no prior build; the bundled PBMC files
 * are fetched as assets (`new URL(..., import.meta.url)`) from examples/data.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const src = (p: string) => fileURLToPath(new URL(`../../packages/${p}`, import.meta.url));

/** The h5ad decoder reaches h5wasm through the Node-only io/h5-runtime.ts; the page has its own. */
const browserH5Runtime = {
  name: "scribe-browser-h5-runtime",
  enforce: "pre" as const,
  resolveId(source: string, importer: string | undefined) {
    if (source === "./h5-runtime.js" && /io\/(h5ad-read|h5-strings)\.ts$/.test(importer ?? ""))
      return fileURLToPath(new URL("./h5-runtime-browser.ts", import.meta.url));
    return null;
  },
};

const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  plugins: [browserH5Runtime],
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: {
    // The packages' `exports` (package.json): "scribe-source" picks their TypeScript sources, so
    // the page needs no prior build; "browser" keeps the Node-only subpaths (`@scribe/*/node`)
    // out and the packages' `browser` field maps their Node-only modules (file checkpoints,
    // worker-thread chains), reached only by dynamic imports, to empty modules.
    conditions: ["scribe-source", "browser", "module", "development|production"],
    // decodeAnnData is not a package export yet: load-data.ts reaches the source file.
    alias: [{ find: /^@scribe\/models\/io\/(.*)$/, replacement: src("scribe-models/src/io/$1") }],
  },
  // Cross-origin isolation: the CPU backend's worker pool shares memory (SharedArrayBuffer).
  server: { fs: { allow: [fileURLToPath(new URL("../..", import.meta.url))] }, headers: isolation },
  preview: { headers: isolation },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 8192,
  },
  optimizeDeps: { exclude: ["h5wasm"] },
});
