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
 * that change per step, subsample indices drawn on the host, anything jitKeyed compares);
 * model arguments that are not the same objects from step to step; and losses other than
 * `TraceELBO` and `TraceMeanFieldELBO` (enumeration, user losses). Value checks
 * (argument validation) become outputs: a replay that fails one is rerun eagerly, and the check
 * throws at the next readback as it would have.
 *
 * The model and guide must be functions of their params, arguments and key (as for `jit`): a
 * model that changes with host state between steps (a counter it closes over) is not supported.
 * The optimizer update is not part of the program (Adam's bias correction is a host number that
 * changes every step); it runs eagerly on the gradients.
 * @module
 */
import { jitKeyed, type Key, type KeyedJitted, realize, Tensor } from "@scribe/core";

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

/** The default of `SVIOptions.compileStep` now. @internal */
export function compiledSVIStepsByDefault(): boolean {
  return compiledByDefault;
}

/** After this many changes of the model's arguments, stop recording (each change records again). */
const MAX_ARGUMENT_CHANGES = 2;

function debugOn(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return Boolean(env?.SCRIBE_DEBUG_SVI_COMPILE);
}

/** Where the compiled step stands (see `SVI.compiledStep`). */
export interface CompiledStepStatus {
  state: "recording" | "compiled" | "eager";
  refusal: string | null;
  replays: number;
}

/** One SVI object's compiled loss and gradient (see the module doc). */
export class CompiledLossAndGrad {
  #program: KeyedJitted<Tensor[]> | null = null;
  /** The arguments and param names the program was recorded for. */
  #args: readonly unknown[] | null = null;
  #names: readonly string[] = [];
  #argumentChanges = 0;
  #refusal: string | null;
  #replaysBefore = 0;
  #reported = false;
  /** The state of the last program released (what `status` shows until the next is made). */
  #lastState: "recording" | "compiled" | "eager" = "recording";

  /** `refusal`: why this loss cannot be compiled at all (null when it can). */
  constructor(
    readonly lossAndGradAt: LossAndGradAt,
    refusal: string | null,
  ) {
    this.#refusal = refusal;
  }

  get status(): CompiledStepStatus {
    const p = this.#program;
    const replays = this.#replaysBefore + (p?.replays ?? 0);
    if (this.#refusal) return { state: "eager", refusal: this.#refusal, replays };
    if (!p) return { state: this.#lastState, refusal: null, replays };
    return { state: p.state, refusal: p.refusal, replays };
  }

  /** The loss and gradients at unconstrained params `u` for the step key `k`. */
  run(k: Key, args: readonly unknown[], u: Record<string, Tensor>): [Tensor, Record<string, Tensor>] {
    if (this.#refusal) {
      this.#report(this.#refusal);
      return this.lossAndGradAt(k, args)(u);
    }
    const names = Object.keys(u);
    const program = this.#programFor(args, names);
    if (!program) return this.lossAndGradAt(k, args)(u);
    const [loss, ...grads] = program(k, ...names.map((n) => u[n]!));
    if (program.state === "eager") this.#report(program.refusal);
    const g: Record<string, Tensor> = {};
    names.forEach((n, i) => {
      g[n] = grads[i]!;
    });
    return [loss!, g];
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

  /** The program for these arguments and params (recorded anew when they changed), or null. */
  #programFor(args: readonly unknown[], names: readonly string[]): KeyedJitted<Tensor[]> | null {
    const same =
      this.#program !== null &&
      this.#args !== null &&
      this.#args.length === args.length &&
      this.#args.every((a, i) => a === args[i]) &&
      this.#names.length === names.length &&
      this.#names.every((n, i) => n === names[i]);
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
    this.#names = [...names];
    this.#program = jitKeyed((k: Key, ...us: Tensor[]) => {
      const rec: Record<string, Tensor> = {};
      names.forEach((n, i) => {
        rec[n] = us[i]!;
      });
      const [loss, grads] = this.lossAndGradAt(k, args)(rec);
      return [loss, ...names.map((n) => grads[n]!)];
    });
    return this.#program;
  }
}
