import { abs, div, log, mul, onesLike, pow, random, sign, sqrt, type Tensor } from "@scribe/core";
import { type Constraint, positive } from "../constraints.js";
import { Transform } from "./transform.js";

/**
 * xᵖ for a draw, with the same bits in every JavaScript engine (`Math.pow` differs between
 * them): a numeric integer exponent (|p| ≤ 64) by binary powering with IEEE products, p = ½
 * by the correctly rounded sqrt, any other exponent as exp(p · log x) with the portable ops
 * (relative error about |p · log x| · 2⁻⁵³ beyond pow's, from rounding p · log x).
 */
function portablePow(x: Tensor, p: Tensor | number): Tensor {
  if (typeof p === "number" && p === 0.5) return sqrt(x);
  if (typeof p === "number" && Number.isInteger(p) && Math.abs(p) <= 64) {
    let result: Tensor | null = null;
    let square = x;
    for (let e = Math.abs(p); e > 0; e >>= 1) {
      if (e & 1) result = result ? mul(result, square) : square;
      if (e > 1) square = mul(square, square);
    }
    if (result === null) return onesLike(x);
    return p < 0 ? div(1, result) : result;
  }
  return random.portableExp(mul(random.portableLog(x), p));
}

/** y = xᵖ on the positive reals; log |dy/dx| = log |p · y / x|. */
export class PowerTransform extends Transform {
  constructor(readonly exponent: Tensor | number) {
    super();
  }
  get domain(): Constraint {
    return positive;
  }
  get codomain(): Constraint {
    return positive;
  }
  forward(x: Tensor): Tensor {
    return pow(x, this.exponent);
  }
  inverse(y: Tensor): Tensor {
    return pow(y, this.inverseExponent());
  }
  override drawForward(x: Tensor): Tensor {
    return portablePow(x, this.exponent);
  }
  override drawInverse(y: Tensor): Tensor {
    return portablePow(y, this.inverseExponent());
  }
  private inverseExponent(): Tensor | number {
    return typeof this.exponent === "number" ? 1 / this.exponent : div(1, this.exponent);
  }
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return log(abs(div(mul(y, this.exponent), x)));
  }
  /**
   * The sign of a numeric exponent. A tensor exponent has a sign per element, known only on the
   * device: use {@link signOf} (this throws rather than read it back).
   */
  override get sign(): number {
    if (typeof this.exponent === "number") return Math.sign(this.exponent);
    if (this.exponent._weakValue !== null) return Math.sign(this.exponent._weakValue);
    throw new Error("PowerTransform: the sign of a tensor exponent is elementwise; use signOf()");
  }
  override signOf(): Tensor | number {
    return typeof this.exponent === "number" ? Math.sign(this.exponent) : sign(this.exponent);
  }
}
