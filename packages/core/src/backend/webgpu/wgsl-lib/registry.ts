import { BASIC_LIB } from "./basic.js";
import { ERF_LIB } from "./erf.js";
import { GAMMA_LIB } from "./gamma.js";
import { INCOMPLETE_LIB } from "./incomplete.js";
import { RANDOM_SAMPLERS_LIB } from "./random-samplers.js";
import { THREEFRY_LIB } from "./threefry.js";

/** One WGSL library function; its dependencies are the `sp_*` / `rng_*` names its code calls. */
export interface LibFn {
  readonly code: string;
}

/** Every WGSL library function by name. */
export const WGSL_LIB: Readonly<Record<string, LibFn>> = {
  ...BASIC_LIB,
  ...GAMMA_LIB,
  ...ERF_LIB,
  ...INCOMPLETE_LIB,
  ...THREEFRY_LIB,
  ...RANDOM_SAMPLERS_LIB,
};

const CALL = /\b((?:sp|rng)_\w+)\s*\(/g;

/**
 * The library functions `body` calls, transitively, as WGSL source (each once): core's
 * library, and `extra` (the `wgslLib` of the ops a shader calls, by function name).
 */
export function libraryFor(body: string, extra: Readonly<Record<string, string>> = {}): string {
  const seen = new Set<string>();
  const order: string[] = [];
  const visit = (code: string) => {
    for (const m of code.matchAll(CALL)) {
      const name = m[1]!;
      if (seen.has(name)) continue;
      const code = WGSL_LIB[name]?.code ?? extra[name];
      if (code === undefined)
        throw new Error(`WGSL library function '${name}' is not defined (core's library or an op's wgslLib)`);
      seen.add(name);
      visit(code);
      order.push(code);
    }
  };
  visit(body);
  return order.join("\n");
}
