import { BASIC_LIB } from "./basic.js";
import { ERF_LIB } from "./erf.js";
import { GAMMA_LIB } from "./gamma.js";
import { INCOMPLETE_LIB } from "./incomplete.js";
import { RANDOM_SAMPLERS_LIB } from "./random-samplers.js";
import { THREEFRY_LIB } from "./threefry.js";
import { POISSON_BETA_LIB } from "./poisson-beta.js";
import { NB_SHIFT_WGSL, WGSL_GROUPS } from "../wgsl-ops.js";

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
  ...POISSON_BETA_LIB,
  ...Object.fromEntries(Object.values(WGSL_GROUPS).map((g) => [g.fn, { code: g.code }])),
  sp_nb_shift: { code: NB_SHIFT_WGSL },
};

const CALL = /\b((?:sp|rng)_\w+)\s*\(/g;

/** The library functions `body` calls, transitively, as WGSL source (each once). */
export function libraryFor(body: string): string {
  const seen = new Set<string>();
  const order: string[] = [];
  const visit = (code: string) => {
    for (const m of code.matchAll(CALL)) {
      const name = m[1]!;
      if (seen.has(name)) continue;
      const fn = WGSL_LIB[name];
      if (!fn) throw new Error(`internal: WGSL library function '${name}' is not defined`);
      seen.add(name);
      visit(fn.code);
      order.push(fn.code);
    }
  };
  visit(body);
  return order.join("\n");
}
