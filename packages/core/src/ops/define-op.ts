import type { DType } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * One definition per scalar op. `defineOp` takes everything the engine and the generic tests
 * need about an elementwise op — its scalar JS function (the reference and the CPU loop body),
 * its WGSL body, dtype rule, cost, outputs, vector-Jacobian product and test domain — and
 * returns the op object that lazy expressions carry. The backends read each fact from here;
 * nothing else lists ops. Every field is required (write `vjp: null` for an op that is not
 * differentiable), so an op without a gradient rule or a WGSL body is a compile error.
 *
 * A package registers its own ops the same way (see docs/ARCHITECTURE.md, "Adding an op");
 * `@scribe/distributions` defines its count-aware negative-binomial and Poisson–Beta kernels so.
 */

/** A tensor or a plain number (numbers are weakly typed: they take the tensor's dtype). */
export type TensorLike = Tensor | number;

/** Where the generic test suites sample an argument (continuous unless `integer`). */
export interface TestDomain {
  readonly lo: number;
  readonly hi: number;
  readonly integer?: boolean;
}

/** Output dtype: that of the promoted inputs, float (ints promote to float32), or bool. */
export type DTypeRule = "same" | "float" | "bool";

/**
 * Cotangents of an op's arguments (`null` for one that is not differentiated) from the
 * cotangent `g` of its primal output. `outs` holds every output of the call: the primal output
 * first, then, for a multi-output op, the residuals it saved for this rule (as JAX's
 * `custom_vjp` saves them), computed in the same pass as the primal value.
 */
export type OpVjp = (
  g: Tensor,
  args: readonly TensorLike[],
  outs: readonly Tensor[],
) => readonly (Tensor | null)[];

interface OpSpecCommon {
  /** Unique name (also the key of generated-code caches). */
  readonly name: string;
  /**
   * `import.meta.url` of the defining module: CPU worker threads import it to get the JS body.
   * A module defining ops must be importable on its own (no other setup needed).
   */
  readonly module: string;
  readonly arity: number;
  readonly dtype: DTypeRule;
  /**
   * Rough cost per element (an add is 1): expensive subtrees are realized, not recomputed. A
   * multi-output op may give one per output (what that output costs on its own).
   */
  readonly cost: number | readonly number[];
  /** The gradient rule, or `null` for an op that is not differentiable. */
  readonly vjp: OpVjp | null;
  /** One domain per argument: where finite differences, reference values and CPU vs WebGPU are checked. */
  readonly testDomain: readonly TestDomain[];
  /** WGSL functions the body calls, by name (`sp_*`); core's library is always available. */
  readonly wgslLib?: Readonly<Record<string, string>>;
}

/**
 * Values an op body derives from one argument alone (log θ, lgamma(θ), … of a per-gene
 * concentration), and a second body that takes them precomputed. Where that argument is a
 * broadcast array read by a loop over a larger shape (one value per gene, read once per cell
 * and gene), the loop planner computes each value once per element of the argument's own
 * array and the loop calls `fn`; elsewhere the loop calls the op's ordinary body. Both bodies
 * must give the same outputs (test/core/op-hoisting.test.ts checks every op that has one).
 */
export interface HoistedBody<F> {
  /** Index of the argument the values are derived from. */
  readonly arg: number;
  /** Each derived value as a function of that argument. */
  readonly values: readonly ((x: number) => number)[];
  /** The body: the op's arguments, then the derived values in order. */
  readonly fn: F;
}

/** A single-output op. */
export interface SingleOutputSpec extends OpSpecCommon {
  readonly outputs?: undefined;
  /**
   * The CPU body: `inline`, a JS expression over argument expressions (arithmetic and `Math.*`
   * only; it is also compiled into the reference function), or `fn`, the scalar function itself.
   */
  readonly cpu:
    | { readonly inline: (a: readonly string[]) => string }
    | {
        readonly fn: (...a: number[]) => number;
        readonly hoisted?: HoistedBody<(...a: number[]) => number>;
      };
  /** WGSL expression over f32 argument expressions (comparisons give 0.0 / 1.0). */
  readonly wgsl: (a: readonly string[]) => string;
}

/**
 * A multi-output op: output 0 is the primal value; the others are residuals (partials, say)
 * computed in the same evaluation and handed to `vjp` as saved outputs.
 */
export interface MultiOutputSpec extends OpSpecCommon {
  /** Output names, primal first (2 to 4 identifiers: WGSL returns them as one vector). */
  readonly outputs: readonly string[];
  /**
   * The scalar function: returns every output (float64) in an object keyed by the output
   * names. Where the loop inlines a body that builds that object in one place (one `return`
   * at the end, each branch assigning locals), V8 keeps the fields in registers and allocates
   * nothing; several `return {…}` sites make it allocate per element (W1 13–16 % slower than with one return).
   */
  readonly cpu: {
    readonly fn: MultiOutputFn;
    readonly hoisted?: HoistedBody<MultiOutputFn>;
  };
  /** A WGSL function returning `vecN<f32>` of the N outputs, by its name; define it in `wgslLib`. */
  readonly wgsl: { readonly fn: string };
}

/** A multi-output op's scalar function: its outputs by name. */
export type MultiOutputFn = (...a: number[]) => Readonly<Record<string, number>>;

/** The spec of an op: what `defineOp` takes. */
export type OpSpec = SingleOutputSpec | MultiOutputSpec;

/** A defined op, as lazy expressions carry it. */
export interface ScalarOp {
  readonly name: string;
  readonly module: string;
  readonly arity: number;
  /** Number of outputs (1 for ordinary ops). */
  readonly outputs: number;
  readonly outputNames: readonly string[];
  readonly dtype: DTypeRule;
  /** Cost per element of the whole call (the costliest output). */
  readonly cost: number;
  /** Cost per element of each output on its own. */
  readonly outputCosts: readonly number[];
  readonly vjp: OpVjp | null;
  readonly testDomain: readonly TestDomain[];
  /** Inline JS template (single-output ops that gave one), else null: the loop calls `fn`. */
  readonly inlineJs: ((a: readonly string[]) => string) | null;
  /** The scalar function: `(…args) => value`, or `(…args) => { [output name]: value }` for multi-output ops. */
  readonly fn: (...a: never[]) => unknown;
  /** The body taking values derived from one argument precomputed ({@link HoistedBody}), if any. */
  readonly hoisted: HoistedBody<(...a: never[]) => unknown> | null;
  /** Every output at float64 arguments (the reference the tests and weak scalars use). */
  readonly evaluate: (...a: number[]) => number[];
  /** WGSL: the expression of a single-output op, or the call of a multi-output op's function (a vector). */
  readonly wgslCall: (a: readonly string[]) => string;
  readonly wgslLib: Readonly<Record<string, string>>;
}

const registry = new Map<string, ScalarOp>();

/** Define and register a scalar op (see the file comment). Names are unique. */
export function defineOp(spec: OpSpec): ScalarOp {
  const where = `defineOp('${spec.name}')`;
  const prior = registry.get(spec.name);
  // The same module evaluated again (a test runner's re-import) redefines its ops; another module may not.
  if (prior && prior.module !== spec.module)
    throw new Error(`${where}: an op named '${spec.name}' is already defined in ${prior.module}`);
  if (spec.testDomain.length !== spec.arity)
    throw new Error(`${where}: testDomain has ${spec.testDomain.length} entries for ${spec.arity} arguments`);
  if (!/^[A-Za-z_]\w*$/.test(spec.name)) throw new Error(`${where}: an op name is an identifier`);
  const nOut = spec.outputs?.length ?? 1;
  const outputCosts =
    typeof spec.cost === "number" ? Array.from({ length: nOut }, () => spec.cost as number) : [...spec.cost];
  if (outputCosts.length !== nOut)
    throw new Error(`${where}: ${outputCosts.length} costs for ${nOut} outputs`);
  const cost = Math.max(...outputCosts);
  const hoisted = "fn" in spec.cpu ? (spec.cpu.hoisted ?? null) : null;
  if (hoisted && !(Number.isInteger(hoisted.arg) && hoisted.arg >= 0 && hoisted.arg < spec.arity))
    throw new Error(`${where}: cpu.hoisted.arg is ${hoisted.arg}, not an argument index below ${spec.arity}`);
  let op: ScalarOp;
  if (spec.outputs === undefined) {
    const cpu = spec.cpu;
    const fn =
      "fn" in cpu
        ? cpu.fn
        : (new Function(...argNames(spec.arity), `return ${cpu.inline(argNames(spec.arity))};`) as (
            ...a: number[]
          ) => number);
    op = {
      name: spec.name,
      module: spec.module,
      arity: spec.arity,
      outputs: 1,
      outputNames: ["out"],
      dtype: spec.dtype,
      cost,
      outputCosts,
      vjp: spec.vjp,
      testDomain: spec.testDomain,
      inlineJs: "inline" in cpu ? cpu.inline : null,
      fn,
      hoisted,
      evaluate: (...a) => [fn(...a)],
      wgslCall: spec.wgsl,
      wgslLib: spec.wgslLib ?? {},
    };
  } else {
    const n = spec.outputs.length;
    if (n < 2 || n > 4) throw new Error(`${where}: a multi-output op has 2 to 4 outputs, got ${n}`);
    const names = spec.outputs;
    for (const name of names)
      if (!/^[A-Za-z_]\w*$/.test(name))
        throw new Error(`${where}: output name '${name}' is not an identifier`);
    if (new Set(names).size !== n) throw new Error(`${where}: output names repeat: ${names.join(", ")}`);
    const fn = spec.cpu.fn;
    const wgslFn = spec.wgsl.fn;
    if (!spec.wgslLib?.[wgslFn])
      throw new Error(`${where}: wgslLib does not define its WGSL function '${wgslFn}'`);
    op = {
      name: spec.name,
      module: spec.module,
      arity: spec.arity,
      outputs: n,
      outputNames: spec.outputs,
      dtype: spec.dtype,
      cost,
      outputCosts,
      vjp: spec.vjp,
      testDomain: spec.testDomain,
      inlineJs: null,
      fn,
      hoisted,
      evaluate: (...a) => {
        const out = fn(...a);
        return names.map((name) => {
          const v = out[name];
          if (typeof v !== "number")
            throw new Error(
              `${where}: cpu.fn returned ${typeof v} for output '${name}' at (${a.join(", ")})`,
            );
          return v;
        });
      },
      wgslCall: (a) => `${wgslFn}(${a.join(", ")})`,
      wgslLib: spec.wgslLib,
    };
  }
  registry.set(op.name, op);
  return op;
}

function argNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `a${i}`);
}

/** Every op defined so far (in this realm), in definition order: what the generic test suites walk. */
export function registeredOps(): readonly ScalarOp[] {
  return [...registry.values()];
}

/** The op registered under `name`, if any (CPU worker threads resolve loop bodies by name). */
export function lookupOp(name: string): ScalarOp | undefined {
  return registry.get(name);
}

/** Output dtype of `op` given its promoted input dtype. */
export function opOutDtype(op: ScalarOp, inDtype: DType): DType {
  if (op.dtype === "bool") return "bool";
  if (op.dtype === "float") return inDtype === "float64" ? "float64" : "float32";
  return inDtype;
}
