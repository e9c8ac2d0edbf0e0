/**
 * The elementwise ops of `@scribe/core`: applying an op (ops/apply-op.ts), defining one
 * (ops/define-op.ts), and core's ops, each defined once in ops/defs/.
 */
export { applyOp, binaryFn, elementwise, type TensorLike, ternaryFn, unaryFn } from "./apply-op.js";
export {
  type DTypeRule,
  defineOp,
  type HoistedBody,
  lookupOp,
  type MultiOutputFn,
  type MultiOutputSpec,
  type OpSpec,
  type OpVjp,
  registeredOps,
  type ScalarOp,
  type SingleOutputSpec,
  type TestDomain,
} from "./define-op.js";
export * from "./defs/arithmetic.js";
export * from "./defs/gamma.js";
export * from "./defs/incomplete.js";
export * from "./defs/log1mexp.js";
export * from "./defs/logic.js";
export * from "./defs/normal.js";
export * from "./defs/transcendental.js";
