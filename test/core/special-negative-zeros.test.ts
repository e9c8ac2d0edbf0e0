/**
 * log|Γ| and ψ next to their negative zeros (lgamma: −2.457…, −2.747…; digamma: −0.504…,
 * −1.573…), where the reflection formulas cancel, against mpmath references at 60 digits in
 * test/fixtures/numeric-edges/refs.json (regenerate with
 * `python3 test/fixtures/numeric-edges/generate.py`; the Taylor tables themselves come from
 * its `--coeffs` output, so the test and the tables share only mpmath).
 *
 * Tolerances: float64 1e-13 relative. The points run from one ulp off the zero (value ~1e-16)
 * to 0.051 away (just outside the Taylor radius, where the reflection is back in use and loses
 * at most ~1e-15). Before the Taylor forms a point at relative distance 1e-12 kept ~4 digits.
 * float32 (the CPU backend rounds a float64 evaluation): 1e-6 relative.
 */
import { readFileSync } from "node:fs";
import { type DType, digamma, lgamma, specialScalar, tensor } from "@scribe/core";
import { describe, expect, it } from "vitest";

interface Point {
  x: string;
  ref: string;
  root: string;
}
type Table = Record<"float64" | "float32", Point[]>;
const refs: { lgammaNearRoots: Table; digammaNearRoots: Table } = JSON.parse(
  readFileSync(new URL("../fixtures/numeric-edges/refs.json", import.meta.url), "utf8"),
);

const FNS = [
  { name: "lgamma", table: refs.lgammaNearRoots, scalar: specialScalar.lgamma, op: lgamma },
  { name: "digamma", table: refs.digammaNearRoots, scalar: specialScalar.digamma, op: digamma },
] as const;

/** Fails with every point whose relative error exceeds rtol, one line each. */
function check(got: ArrayLike<number>, pts: readonly Point[], rtol: number, what: string) {
  const failures = pts.flatMap((p, i) => {
    const want = Number(p.ref);
    const rel = Math.abs(got[i]! - want) / Math.abs(want);
    return rel <= rtol
      ? []
      : [`x=${p.x} (zero ${p.root}): got ${got[i]}, mpmath ${want}, rel ${rel.toExponential(2)}`];
  });
  expect(failures, what).toEqual([]);
}

describe("lgamma and digamma next to their negative zeros vs mpmath", () => {
  for (const f of FNS) {
    it(`${f.name}: scalar (float64)`, () => {
      const pts = f.table.float64;
      expect(pts.length).toBeGreaterThanOrEqual(30);
      check(
        pts.map((p) => f.scalar(Number(p.x))),
        pts,
        1e-13,
        f.name,
      );
    });

    for (const dtype of ["float64", "float32"] as DType[]) {
      it(`${f.name}: tensor op on the cpu backend (${dtype})`, async () => {
        const pts = f.table[dtype as "float64" | "float32"];
        const out = await f
          .op(
            tensor(
              pts.map((p) => Number(p.x)),
              { dtype },
            ),
          )
          .data();
        check(out, pts, dtype === "float64" ? 1e-13 : 1e-6, `${f.name} ${dtype}`);
      });
    }
  }

  it("the Taylor forms equal the reflection formulas at the edge of the radius (no jump)", () => {
    const { LGAMMA_NEGATIVE_ROOTS, DIGAMMA_NEGATIVE_ROOTS, NEGATIVE_ROOT_RADIUS, LOG_PI, sinpi, cospi } =
      specialScalar;
    // the reflections, written out here: accurate to ~1e-15 this far (0.05) from the zeros, so
    // the two forms agree to 2e-14 where they meet
    const lgammaReflection = (x: number) =>
      LOG_PI - Math.log(Math.abs(sinpi(x))) - specialScalar.lgamma(1 - x);
    const digammaReflection = (x: number) => specialScalar.digamma(1 - x) - (Math.PI * cospi(x)) / sinpi(x);
    for (const [name, fn, reflection, roots] of [
      ["lgamma", specialScalar.lgamma, lgammaReflection, LGAMMA_NEGATIVE_ROOTS],
      ["digamma", specialScalar.digamma, digammaReflection, DIGAMMA_NEGATIVE_ROOTS],
    ] as const) {
      for (const r of roots) {
        for (const side of [-1, 1]) {
          const x = r.hi + side * NEGATIVE_ROOT_RADIUS * (1 - 1e-9); // just inside: the Taylor form
          const taylor = fn(x);
          expect(Math.abs(taylor - reflection(x)), `${name} at ${x}`).toBeLessThan(
            2e-14 * Math.max(1, Math.abs(taylor)),
          );
        }
      }
    }
  });
});
