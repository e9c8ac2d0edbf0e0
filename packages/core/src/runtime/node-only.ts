/**
 * Loading Node-only modules (file system, worker threads) on demand, with a clear error in a
 * browser bundle.
 *
 * The packages' `package.json` "browser" fields map their `*-node.js` modules to `false`, so a
 * bundler (Vite, esbuild, webpack) substitutes an empty module: a named export read from it is
 * `undefined`, and calling it would fail with "x is not a function". Every on-demand import of a
 * Node-only module goes through {@link loadNodeOnly}, which checks the export it needs and
 * otherwise names the feature and what to use instead.
 */

/**
 * Import a Node-only module and check that `exportName` is a function in it.
 * @param feature What the user asked for, as they would recognise it (e.g. "fit: checkpointPath").
 * @param load The dynamic import, e.g. `() => import("./fit-checkpoint-node.js")`.
 * @param exportName The export the caller needs.
 * @param instead What to do in the browser instead (optional; appended to the message).
 * @throws Error naming the feature when the module is a browser stub or cannot be loaded.
 * @example
 * // fragment
 * const { saveCheckpoint } = await loadNodeOnly(
 *   "SVI checkpoints to a file", () => import("@scribe/infer/node"), "saveCheckpoint",
 * );
 */
export async function loadNodeOnly<M, K extends keyof M & string>(
  feature: string,
  load: () => Promise<M>,
  exportName: K,
  instead?: string,
): Promise<M> {
  const hint = instead ? `; ${instead}` : "";
  let mod: M;
  try {
    mod = await load();
  } catch (err) {
    throw new Error(
      `${feature} needs Node.js (file system or worker threads), and its module could not be loaded here: ${(err as Error).message}${hint}`,
      { cause: err },
    );
  }
  if (typeof (mod as Record<string, unknown> | undefined)?.[exportName] !== "function") {
    throw new Error(
      `${feature} needs Node.js (file system or worker threads) and is not available in the browser build${hint}`,
    );
  }
  return mod;
}
