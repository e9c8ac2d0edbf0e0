import { mul, type Shape, type Tensor } from "@scribe/core";
import { type Constraint, independent } from "../constraints.js";
import { sumRightmost } from "../param-utils.js";
import { Transform } from "./transform.js";

/**
 * Apply `parts` left to right: y = pₙ(…p₂(p₁(x))). The log-Jacobian adds the parts' terms,
 * summing each over the axes that are event axes of the composition but batch axes of the part.
 */
export class ComposeTransform extends Transform {
  readonly parts: readonly Transform[];
  constructor(parts: readonly Transform[]) {
    super();
    if (parts.length === 0) throw new Error("ComposeTransform: needs at least one part");
    this.parts = [...parts];
  }
  get domain(): Constraint {
    let ev = this.parts[this.parts.length - 1]!.codomain.eventDim;
    for (let i = this.parts.length - 1; i >= 0; i--) {
      const p = this.parts[i]!;
      ev = Math.max(ev + p.domain.eventDim - p.codomain.eventDim, p.domain.eventDim);
    }
    const d = this.parts[0]!.domain;
    return independent(d, ev - d.eventDim);
  }
  get codomain(): Constraint {
    let ev = this.parts[0]!.domain.eventDim;
    for (const p of this.parts)
      ev = Math.max(ev + p.codomain.eventDim - p.domain.eventDim, p.codomain.eventDim);
    const c = this.parts[this.parts.length - 1]!.codomain;
    return independent(c, ev - c.eventDim);
  }
  forward(x: Tensor): Tensor {
    return this.parts.reduce((v, p) => p.forward(v), x);
  }
  inverse(y: Tensor): Tensor {
    return this.parts.reduceRight((v, p) => p.inverse(v), y);
  }
  override drawForward(x: Tensor): Tensor {
    return this.parts.reduce((v, p) => p.drawForward(v), x);
  }
  override drawInverse(y: Tensor): Tensor {
    return this.parts.reduceRight((v, p) => p.drawInverse(v), y);
  }
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    let ev = this.domain.eventDim;
    let cur = x;
    let total: Tensor | null = null;
    this.parts.forEach((p, i) => {
      const next = i === this.parts.length - 1 ? y : p.forward(cur);
      const term = sumRightmost(p.logAbsDetJacobian(cur, next), ev - p.domain.eventDim);
      total = total ? total.add(term) : term;
      ev += p.codomain.eventDim - p.domain.eventDim;
      cur = next;
    });
    return total!;
  }
  override forwardShape(shape: Shape): number[] {
    return this.parts.reduce((s, p) => p.forwardShape(s), [...shape]);
  }
  override inverseShape(shape: Shape): number[] {
    return this.parts.reduceRight((s, p) => p.inverseShape(s), [...shape]);
  }
  override get sign(): number {
    return this.parts.reduce((s, p) => s * p.sign, 1);
  }
  override signOf(): Tensor | number {
    return this.parts.reduce<Tensor | number>((s, p) => {
      const q = p.signOf();
      return typeof s === "number" && typeof q === "number" ? s * q : mul(s as Tensor, q);
    }, 1);
  }
  override toString(): string {
    return `ComposeTransform[${this.parts.map((p) => p.toString()).join(", ")}]`;
  }
}
