import { binaryFn, unaryFn } from "../apply-op.js";
import { defineOp, type TestDomain } from "../define-op.js";

/** Predicates, comparisons and logic: bool results (0/1), not differentiable. */

const M = import.meta.url;
const STD: TestDomain = { lo: -2, hi: 2 };

const pred = (name: string, js: (a: string) => string, wgsl: (a: string) => string) =>
  defineOp({
    name,
    module: M,
    arity: 1,
    dtype: "bool",
    cost: 1,
    testDomain: [STD],
    cpu: { inline: ([a]) => js(a!) },
    wgsl: ([a]) => wgsl(a!),
    vjp: null,
  });
const cmp = (name: string, js: (a: string, b: string) => string, wgsl: (a: string, b: string) => string) =>
  defineOp({
    name,
    module: M,
    arity: 2,
    dtype: "bool",
    cost: 1,
    testDomain: [STD, STD],
    cpu: { inline: ([a, b]) => js(a!, b!) },
    wgsl: ([a, b]) => wgsl(a!, b!),
    vjp: null,
  });

export const isnanOp = pred(
  "isnan",
  (a) => `(${a}!==${a}?1:0)`,
  (a) => `sp_b(sp_isnan(${a}))`,
);
export const isfiniteOp = pred(
  "isfinite",
  (a) => `(Number.isFinite(${a})?1:0)`,
  (a) => `sp_b(sp_isfinite(${a}))`,
);
export const logicalNotOp = pred(
  "logicalNot",
  (a) => `(${a}?0:1)`,
  (a) => `sp_b(${a} == 0.0)`,
);
export const eqOp = cmp(
  "eq",
  (a, b) => `(${a}===${b}?1:0)`,
  (a, b) => `sp_b(${a} == ${b})`,
);
export const neOp = cmp(
  "ne",
  (a, b) => `(${a}!==${b}?1:0)`,
  (a, b) => `sp_b(${a} != ${b})`,
);
export const ltOp = cmp(
  "lt",
  (a, b) => `(${a}<${b}?1:0)`,
  (a, b) => `sp_b(${a} < ${b})`,
);
export const leOp = cmp(
  "le",
  (a, b) => `(${a}<=${b}?1:0)`,
  (a, b) => `sp_b(${a} <= ${b})`,
);
export const gtOp = cmp(
  "gt",
  (a, b) => `(${a}>${b}?1:0)`,
  (a, b) => `sp_b(${a} > ${b})`,
);
export const geOp = cmp(
  "ge",
  (a, b) => `(${a}>=${b}?1:0)`,
  (a, b) => `sp_b(${a} >= ${b})`,
);
export const logicalAndOp = cmp(
  "logicalAnd",
  (a, b) => `(${a}&&${b}?1:0)`,
  (a, b) => `sp_b(${a} != 0.0 && ${b} != 0.0)`,
);
export const logicalOrOp = cmp(
  "logicalOr",
  (a, b) => `(${a}||${b}?1:0)`,
  (a, b) => `sp_b(${a} != 0.0 || ${b} != 0.0)`,
);

export const isnan = unaryFn(isnanOp);
export const isfinite = unaryFn(isfiniteOp);
export const logicalNot = unaryFn(logicalNotOp);
export const eq = binaryFn(eqOp);
export const ne = binaryFn(neOp);
export const lt = binaryFn(ltOp);
export const le = binaryFn(leOp);
export const gt = binaryFn(gtOp);
export const ge = binaryFn(geOp);
export const logicalAnd = binaryFn(logicalAndOp);
export const logicalOr = binaryFn(logicalOrOp);
