/** A JS number as a WGSL f32 literal (always with a decimal point or exponent). */
export function f32Lit(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`f32Lit: ${x} has no WGSL literal`);
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** Horner evaluation of Σ c[i]·t^i as a WGSL expression (c[0] first). */
export function hornerWgsl(c: readonly number[], t: string): string {
  let s = f32Lit(c[c.length - 1]!);
  for (let i = c.length - 2; i >= 0; i--) s = `fma(${s}, ${t}, ${f32Lit(c[i]!)})`;
  return s;
}
