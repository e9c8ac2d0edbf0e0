/**
 * SVI's compiled step: the loss and gradient of one step (model and guide traces, the ELBO,
 * the backward pass, the guide's draws) recorded by core's `jitKeyed` and replayed on later
 * steps, with the step's key as an input, so a replay draws the same Threefry bits as an eager
 * step and gives the same loss and gradients bit for bit. On tiny models (the test suite's
 * fits) the effect handlers, the tape and the planning of an eager step cost far more than its
 * arithmetic (bench/svi-step-overhead.ts).
 *
 * It runs eagerly, saying why (`SVI.compiledStep`, and on stderr with
 * `SCRIBE_DEBUG_SVI_COMPILE=1`), where a replay could differ from an eager step or cannot be
 * made: another backend than the cpu; a step that reads values back (value-dependent control
 * flow, an eager value check); a step whose recorded work differs between calls (host values
 * that change per step other than through core's `hostScalar`, anything jitKeyed compares);
 * model arguments that are not the same objects from step to step; and losses other than
 * `TraceELBO` and `TraceMeanFieldELBO` (enumeration, user losses). Value checks
 * (argument validation) become outputs: a replay that fails one is rerun eagerly, and the check
 * throws at the next readback as it would have.
 *
 * The model and guide must be functions of their params, arguments and key (as for `jit`): a
 * model that changes with host state between steps (a counter it closes over) is not supported,
 * except for numbers it reads through core's `hostScalar` (a KL annealing weight), which are
 * inputs of the program read afresh at each replay. Subsampled plates' indices are inputs too:
 * core draws them on the host through `keyedHostDraw`, so each replay redraws them from its own
 * step key along the same key path, and the program gathers with them.
 *
 * With an optimizer built from a per-parameter rule (`RuleOptimizer`: SGD, momentum, Adam,
 * ClippedAdam, Adagrad, RMSProp) the update is part of the program too: the optimizer's slots are
 * inputs and the new params and slots outputs, and the numbers that change every step (Adam's
 * bias corrections 1 − β^(t+1), a scheduled learning rate) are computed on the host in float64
 * as an eager update computes them (`LeafRule.stepValues`) and passed in as float64 scalar
 * tensors, so two steps record the same program (`withGlobalNormClipping` of a rule optimizer is
 * one, its clipping the optimizer's `transformGrads`). Other optimizers (user objects) update
 * eagerly on the compiled gradients. The update's params come from the optimizer's `getParams`
 * of the state, as an eager step's do (an optimizer may note the step there: KL annealing).
 * @module
 */
import {
  cpuBackend,
  currentBackend,
  debugEnv,
  jitKeyed,
  type Key,
  type KeyedJitted,
  realize,
  scalar,
  Tensor,
} from "@scribe/core";
import type { OptimizerState, RuleOptimizer, RuleStep } from "../optim/optimizer.js";

/** The loss and gradients of a step, as `valueAndGrad` of the loss at key `k` gives them. */
export type LossAndGradAt = (
  k: Key,
  args: readonly unknown[],
) => (u: Record<string, Tensor>) => [Tensor, Record<string, Tensor>];

let compiledByDefault = true;

/**
 * Whether SVI objects built without a `compileStep` option compile their step (default true).
 * For comparisons (bench/svi-step-overhead.ts) and code that builds its SVI out of reach, such
 * as SCRIBE's `fit()`; returns the previous setting.
 */
export function setCompiledSVISteps(on: boolean): boolean {
  const previous = compiledByDefault;
  compiledByDefault = on;
  return previous;
}

let updatesCompiled = true;

/**
 * Whether compiled SVI steps include a rule optimizer's update (default true); false updates
 * eagerly on the compiled gradients, as before the update was compiled. For comparisons
 * (bench/svi-step-overhead.ts); returns the previous setting.
 */
export function setCompiledSVIUpdates(on: boolean): boolean {
  const previous = updatesCompiled;
  updatesCompiled = on;
  return previous;
}

/** The default of `SVIOptions.compileStep` now. @internal */
export function compiledSVIStepsByDefault(): boolean {
  return compiledByDefault;
}

/** After this many changes of the model's arguments, stop recording (each change records again). */
const MAX_ARGUMENT_CHANGES = 2;

function debugOn(): boolean {
  return debugEnv("SCRIBE_DEBUG_SVI_COMPILE") !== undefined;
}

/** Where the compiled step stands (see `SVI.compiledStep`). */
export interface CompiledStepStatus {
  state: "recording" | "compiled" | "eager";
  refusal: string | null;
  replays: number;
  /** Whether the program (the last one made) includes the optimizer's update. */
  withUpdate: boolean;
}

/** A compiled step with its update: the loss, the gradients when asked for, the new params and slots. */
export interface CompiledUpdate {
  loss: Tensor;
  grads: Record<string, Tensor> | null;
  next: RuleStep;
}

/** One SVI object's compiled loss and gradient, and update (see the module doc). */
export class CompiledLossAndGrad {
  #program: KeyedJitted<Tensor[]> | null = null;
  /** The arguments, and the param names and program kind (`layout`), the program was recorded for. */
  #args: readonly unknown[] | null = null;
  #layout = "";
  #argumentChanges = 0;
  #refusal: string | null;
  #replaysBefore = 0;
  #reported = false;
  /** The state of the last program released (what `status` shows until the next is made). */
  #lastState: "recording" | "compiled" | "eager" = "recording";

  /**
   * `refusal`: why this loss cannot be compiled at all (null when it can); `optim`: the
   * optimizer whose update the program includes (null: updates run eagerly).
   */
  constructor(
    readonly lossAndGradAt: LossAndGradAt,
    refusal: string | null,
    readonly optim: RuleOptimizer | null = null,
  ) {
    this.#refusal = refusal;
  }

  get status(): CompiledStepStatus {
    const p = this.#program;
    const replays = this.#replaysBefore + (p?.replays ?? 0);
    const withUpdate = this.#layout.startsWith("update");
    if (this.#refusal) return { state: "eager", refusal: this.#refusal, replays, withUpdate: false };
    if (!p) return { state: this.#lastState, refusal: null, replays, withUpdate };
    return { state: p.state, refusal: p.refusal, replays, withUpdate };
  }

  /** The loss and gradients at unconstrained params `u` for the step key `k`. */
  run(k: Key, args: readonly unknown[], u: Record<string, Tensor>): [Tensor, Record<string, Tensor>] {
    if (this.#refusal) {
      this.#report(this.#refusal);
      return this.lossAndGradAt(k, args)(u);
    }
    const names = Object.keys(u);
    const program = this.#programFor(args, `grad:${names.join(",")}`, () => (key, ...us) => {
      const [loss, grads] = this.lossAndGradAt(key, args)(record(names, us));
      return [loss, ...names.map((n) => grads[n]!)];
    });
    if (!program) return this.lossAndGradAt(k, args)(u);
    const [loss, ...grads] = this.#call(
      program,
      k,
      names.map((n) => u[n]!),
    );
    return [loss!, record(names, grads)];
  }

  /**
   * The loss, the new params and slots of `this.optim`'s update from `state` (and the gradients
   * with `withGrads`), as one program; null where the update is not compiled (no rule
   * optimizer, a refused loss), and the caller steps as it would without this class.
   */
  runUpdate(
    k: Key,
    args: readonly unknown[],
    state: OptimizerState,
    withGrads: boolean,
  ): CompiledUpdate | null {
    const optim = this.optim;
    // Elsewhere than the cpu the program would run eagerly, and float64 scalars need not be
    // supported: the caller's eager update takes the numbers as constants.
    if (!optim || this.#refusal || !updatesCompiled || currentBackend() !== cpuBackend()) return null;
    // as an eager step, the params are the optimizer's getParams of the state (which may note the step)
    const current = optim.getParams(state);
    const names = Object.keys(current);
    const slotNames = names.map((n) => Object.keys(state.slots[n] ?? {}));
    const values = optim.rule.stepValues(state.step);
    const layout = `update${withGrads ? "+grads" : ""}:${names.map((n, i) => `${n}(${slotNames[i]!.join(",")})`).join(",")};${values.length}`;
    const nP = names.length;
    const nS = slotNames.reduce((a, s) => a + s.length, 0);
    const program = this.#programFor(args, layout, () => (key, ...xs) => {
      const params = record(names, xs.slice(0, nP));
      const slots = unflattenSlots(names, slotNames, xs.slice(nP, nP + nS));
      const [loss, grads] = this.lossAndGradAt(key, args)(params);
      const next = optim.apply(xs.slice(nP + nS), grads, params, slots);
      return [
        loss,
        ...(withGrads ? names.map((n) => grads[n]!) : []),
        ...names.map((n) => next.params[n]!),
        ...names.flatMap((n, i) => slotNames[i]!.map((s) => next.slots[n]![s]!)),
      ];
    });
    if (!program) return null;
    const inputs = [
      ...names.map((n) => current[n]!),
      ...names.flatMap((n, i) => slotNames[i]!.map((s) => state.slots[n]![s]!)),
      // float64 on the host, float64 in the program: the same numbers as an eager update's constants
      ...values.map((v) => scalar(v, "float64")),
    ];
    const out = this.#call(program, k, inputs);
    const loss = out[0]!;
    const first = withGrads ? 1 + nP : 1;
    const grads = withGrads ? record(names, out.slice(1, first)) : null;
    const params = record(names, out.slice(first, first + nP));
    const slots = unflattenSlots(names, slotNames, out.slice(first + nP));
    return { loss, grads, next: { params, slots } };
  }

  #call(program: KeyedJitted<Tensor[]>, k: Key, inputs: Tensor[]): Tensor[] {
    const out = program(k, ...inputs);
    if (program.state === "eager") this.#report(program.refusal);
    return out;
  }

  /** Free the program's buffers; later steps record again. */
  dispose(): void {
    // a refused program holds no buffers, and keeping it keeps its answer for these arguments
    if (this.#program?.state !== "eager") this.#drop();
  }

  #drop(): void {
    if (!this.#program) return;
    this.#replaysBefore += this.#program.replays;
    this.#lastState = this.#program.state;
    this.#program.dispose();
    this.#program = null;
  }

  #report(why: string | null): void {
    if (this.#reported || !debugOn()) return;
    this.#reported = true;
    console.warn(`SVI: the compiled step is off, steps run eagerly: ${why}`);
  }

  /** The program for these arguments and layout (recorded anew when they changed), or null. */
  #programFor(
    args: readonly unknown[],
    layout: string,
    body: () => (k: Key, ...xs: Tensor[]) => Tensor[],
  ): KeyedJitted<Tensor[]> | null {
    const same =
      this.#program !== null &&
      this.#args !== null &&
      this.#args.length === args.length &&
      this.#args.every((a, i) => a === args[i]) &&
      this.#layout === layout;
    if (same) return this.#program;
    if (this.#program) {
      this.#drop();
      if (++this.#argumentChanges >= MAX_ARGUMENT_CHANGES) {
        this.#refusal = "the model's arguments (or the params) change between steps";
        this.#report(this.#refusal);
        return null;
      }
    }
    // Arguments read by the program are read in place: computed now, not inside a recording.
    for (const a of args) if (a instanceof Tensor) realize(a);
    this.#args = [...args];
    this.#layout = layout;
    this.#program = jitKeyed(body());
    return this.#program;
  }
}

function record(names: readonly string[], ts: readonly Tensor[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  names.forEach((n, i) => {
    out[n] = ts[i]!;
  });
  return out;
}

/** Slots by param and slot name from their flat list (params in order, each param's slots in order). */
function unflattenSlots(
  names: readonly string[],
  slotNames: readonly (readonly string[])[],
  flat: readonly Tensor[],
): Record<string, Record<string, Tensor>> {
  const out: Record<string, Record<string, Tensor>> = {};
  let j = 0;
  names.forEach((n, i) => {
    out[n] = {};
    for (const s of slotNames[i]!) out[n]![s] = flat[j++]!;
  });
  return out;
}
