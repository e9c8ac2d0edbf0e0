import type { Backend, BackendBuffer, FusedKernel } from "../backend/backend.js";
import type { Expr } from "../expr/expr.js";
import { openScopes } from "../memory/scope-stack.js";
import type { DType, TypedArray } from "./dtype.js";
import { formatTensor, tensorBundle } from "./format.js";
import { formatShape, type Shape, sizeOf } from "./shape.js";
import { installTensorMethods } from "./tensor-methods.js";

/** A recorded op on the autodiff tape: how to push an output cotangent back to the inputs. */
export interface TapeNode {
  readonly inputs: readonly Tensor[];
  /** Cotangents for each input, in the output's shape or broadcastable to the input's. */
  readonly vjp: (g: Tensor) => readonly (Tensor | null)[];
  readonly op: string;
}

let nextId = 1;

/**
 * An immutable n-dimensional array. Its values live either in a backend buffer or, for the
 * result of an elementwise chain, in a lazy expression that is compiled into one fused loop
 * when something needs the values.
 */
export class Tensor {
  readonly id: number;
  readonly shape: Shape;
  readonly dtype: DType;
  readonly size: number;
  readonly backend: Backend;
  /** @internal realized storage */
  _buf: BackendBuffer | null;
  /** @internal pending elementwise expression */
  _expr: Expr | null;
  /** @internal set when this tensor depends on something being differentiated */
  _node: TapeNode | null = null;
  /** @internal true for differentiation inputs and everything computed from them */
  _tracked = false;
  /** @internal */
  _disposed = false;
  /** @internal survives the memory scopes it was created in (memory/scope.ts `keep`) */
  _kept = false;
  /** @internal how many expressions have inlined this tensor's pending expression */
  _uses = 0;
  /**
   * @internal the exact float64 value of a scalar computed from plain numbers only; such a
   * tensor is weakly typed, like a number: it takes the dtype of the tensors it meets.
   */
  _weakValue: number | null = null;
  /** @internal a deferred kernel (a reduction, or a map over deferred reductions) not yet run; it runs together with the others over the same iteration shape */
  _reduction: FusedKernel | null = null;
  /** @internal while `_reduction` waits: the length of the chain of deferred tensors it ends (realize.ts) */
  _deferredDepth = 1;
  /**
   * @internal how many pending deferred checks need this tensor (tensor/deferred-checks.ts);
   * while pinned, `dispose()` is postponed until the last pin is released.
   */
  _pins = 0;
  /** @internal `dispose()` was called while pinned: dispose when the last pin goes */
  _disposeWhenUnpinned = false;

  /** @internal use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(backend: Backend, shape: Shape, dtype: DType, buf: BackendBuffer | null, expr: Expr | null) {
    this.id = nextId++;
    this.backend = backend;
    // A frozen shape (another tensor's) is shared: no copy per op, and equal shapes are often
    // the same array, which the plan signature's per-array shape text relies on.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this._buf = buf;
    this._expr = expr;
    // register in the innermost memory scope (memory/scope.ts), if one is open
    const top = openScopes[openScopes.length - 1];
    if (top) top.add(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** @internal */
  assertAlive(where: string): void {
    if (this._disposed)
      throw new Error(
        `${where}: tensor ${formatShape(this.shape)} ${this.dtype} was disposed (it was created inside a scope that ended; return it from the scope or keep() it)`,
      );
  }

  /** Free the backend memory now. Using the tensor afterwards is an error. */
  dispose(): void {
    if (this._disposed) return;
    if (this._pins > 0) {
      this._disposeWhenUnpinned = true;
      return;
    }
    this._disposed = true;
    this._expr = null;
    this._reduction = null;
    if (this._buf) {
      this._buf.refs--;
      if (this._buf.refs <= 0) this.backend.free(this._buf);
      this._buf = null;
    }
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype})`;
  }

  /** Node's `util.inspect` (and `console.log`): the NumPy-like repr of format.ts. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return formatTensor(this);
  }

  /** Deno's Jupyter kernel: the repr as text and preformatted HTML. */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    return tensorBundle(this);
  }
}

// The methods are defined with the ops (tensor-methods.ts imports them, and they import Tensor);
// installing them here, explicitly, means importing Tensor from anywhere gives a complete class.
installTensorMethods(Tensor);

export type { TypedArray };
