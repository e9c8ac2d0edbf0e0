/**
 * Vite config of the in-browser fit page (`npm run browser`): the @scribe/* imports resolve to
 * the packages' TypeScript sources, so the page needs no prior build; the bundled PBMC files
 * are fetched as assets (`new URL(..., import.meta.url)`) from examples/data.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const src = (p: string) => fileURLToPath(new URL(`../../packages/${p}`, import.meta.url));

/** io/h5ad-read.ts reads raw dataset bytes through the Node-only h5-runtime; the page has its own. */
const browserH5Runtime = {
  name: "scribe-browser-h5-runtime",
  enforce: "pre" as const,
  resolveId(source: string, importer: string | undefined) {
    if (source === "./h5-runtime.js" && importer?.endsWith("io/h5ad-read.ts"))
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
    alias: [
      { find: /^@scribe\/core$/, replacement: src("core/src/index.ts") },
      { find: /^@scribe\/core\/node$/, replacement: src("core/src/node/index.ts") },
      { find: /^@scribe\/distributions$/, replacement: src("distributions/src/index.ts") },
      { find: /^@scribe\/infer$/, replacement: src("infer/src/index.ts") },
      { find: /^@scribe\/infer\/node$/, replacement: src("infer/src/node.ts") },
      { find: /^@scribe\/models$/, replacement: src("scribe-models/src/index.ts") },
      { find: /^@scribe\/models\/(.*)$/, replacement: src("scribe-models/src/$1") },
    ],
  },
  // Cross-origin isolation: the CPU backend's worker pool shares memory (SharedArrayBuffer).
  server: { fs: { allow: [fileURLToPath(new URL("../..", import.meta.url))] }, headers: isolation },
  preview: { headers: isolation },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 8192,
    // Node-only paths the packages reach but a page never runs (checkpoint files, worker-thread
    // chains, Dawn): their node:* imports become empty browser shims instead of build errors.
    rollupOptions: { shimMissingExports: true },
  },
  optimizeDeps: { exclude: ["h5wasm"] },
});
