import {
  abs,
  add,
  broadcastShapes,
  broadcastTo,
  div,
  log,
  mul,
  sign,
  sub,
  type Tensor,
  zerosLike,
} from "@scribe/core";
import { boundsOf, type Constraint, greaterThan, interval, lessThan, real } from "../constraints.js";
import { sumRightmost } from "../param-utils.js";
import { Transform } from "./transform.js";

type Bound = Tensor | number;

function affineBound(loc: Bound, scale: Bound, b: Bound): Bound {
  if (typeof loc === "number" && typeof scale === "number" && typeof b === "number") return loc + scale * b;
  return add(mul(scale as Tensor, b), loc);
}

/**
 * y = loc + scale · x (elementwise; `domain` may have event axes, e.g. `realVector`, and the
 * log-Jacobian is then summed over them). A negative *numeric* scale flips bounds; a tensor
 * scale is taken to be positive when deriving the codomain.
 */
export class AffineTransform extends Transform {
  private readonly _domain: Constraint;
  constructor(
    readonly loc: Tensor | number,
    readonly scale: Tensor | number,
    domain: Constraint = real,
  ) {
    super();
    this._domain = domain;
  }
  get domain(): Constraint {
    return this._domain;
  }
  get codomain(): Constraint {
    const d = this._domain;
    const neg = typeof this.scale === "number" && this.scale < 0;
    const { lowerBound, upperBound } = boundsOf(d);
    switch (d.name) {
      case "real":
      case "independent":
        return d;
      case "positive":
      case "greaterThan":
      case "nonnegative":
      case "greaterThanEq": {
        const b = affineBound(this.loc, this.scale, lowerBound!);
        return neg ? lessThan(b) : greaterThan(b);
      }
      case "lessThan": {
        const b = affineBound(this.loc, this.scale, upperBound!);
        return neg ? greaterThan(b) : lessThan(b);
      }
      case "unitInterval":
      case "interval": {
        const lo = affineBound(this.loc, this.scale, lowerBound!);
        const hi = affineBound(this.loc, this.scale, upperBound!);
        return neg ? interval(hi, lo) : interval(lo, hi);
      }
      default:
        throw new Error(`AffineTransform: cannot derive the codomain for domain ${d.toString()}`);
    }
  }
  forward(x: Tensor): Tensor {
    return add(mul(x, this.scale), this.loc);
  }
  inverse(y: Tensor): Tensor {
    return div(sub(y, this.loc), this.scale);
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    const l = typeof this.scale === "number" ? Math.log(Math.abs(this.scale)) : log(abs(this.scale));
    const shape = typeof l === "number" ? x.shape : broadcastShapes(x.shape, l.shape);
    const full = broadcastTo(add(zerosLike(x), l), shape);
    return sumRightmost(full, this._domain.eventDim);
  }
  /**
   * The sign of a numeric scale. A tensor scale has a sign per element, known only on the
   * device: use {@link signOf} (this throws rather than read it back).
   */
  override get sign(): number {
    if (typeof this.scale === "number") return Math.sign(this.scale);
    if (this.scale._weakValue !== null) return Math.sign(this.scale._weakValue);
    throw new Error("AffineTransform: the sign of a tensor scale is elementwise; use signOf()");
  }
  override signOf(): Tensor | number {
    return typeof this.scale === "number" ? Math.sign(this.scale) : sign(this.scale);
  }
}
