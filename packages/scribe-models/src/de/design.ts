/**
 * Design matrices for the NB-GLM: from a small formula (`"~ condition + age"`) over
 * per-sample data, from a single factor (`conditions` + `reference`), or from a
 * user matrix with named columns. Treatment (reference) coding, R-style column
 * names (`Intercept`, `conditionB`, `age`).
 * @module
 */
import { householderQR } from "./linalg.js";

/** A design matrix: n × p row-major with named columns. */
export interface Design {
  /** Row-major n × p values. */
  matrix: Float64Array;
  /** Number of samples (rows). */
  nSamples: number;
  /** Number of coefficients (columns). */
  nCoef: number;
  /** Column names (length p). */
  columns: string[];
  /** Levels of each factor term, reference first (empty for a user matrix). */
  factors: Record<string, string[]>;
}

/** Per-sample variables for a formula: strings are factors, numbers are covariates. */
export type SampleData = Record<string, ArrayLike<string | number>>;

/** Options for {@link buildDesign}. */
export interface DesignSpec {
  /** Formula such as `"~ condition + batch + age"`, `"~ 0 + condition"` or `"~ 1"`. */
  formula: string;
  /** Per-sample variables named in the formula. */
  data: SampleData;
  /** Reference level per factor (default: first level in sorted order). */
  reference?: Record<string, string>;
  /** Explicit level order per factor; a value outside these levels is an error. */
  levels?: Record<string, string[]>;
}

function factorLevels(name: string, values: string[], spec: DesignSpec): string[] {
  const present = [...new Set(values)].sort();
  let levels = spec.levels?.[name] ? [...spec.levels[name]!] : present;
  for (const v of present) {
    if (!levels.includes(v)) {
      throw new Error(
        `design: variable '${name}' has value '${v}' which is not among its levels [${levels.join(", ")}]`,
      );
    }
  }
  const ref = spec.reference?.[name];
  if (ref !== undefined) {
    if (!levels.includes(ref)) {
      throw new Error(
        `design: reference '${ref}' is not a level of '${name}' (levels: ${levels.join(", ")})`,
      );
    }
    levels = [ref, ...levels.filter((l) => l !== ref)];
  }
  for (const l of levels) {
    if (!values.includes(l)) {
      throw new Error(
        `design: level '${l}' of '${name}' has no samples; drop it from levels or add samples (levels: ${levels.join(", ")})`,
      );
    }
  }
  if (levels.length < 2 && spec.formula.replace(/\s/g, "") !== `~0+${name}`) {
    throw new Error(
      `design: factor '${name}' has a single level '${levels[0]}'; it cannot be estimated besides the intercept`,
    );
  }
  return levels;
}

/**
 * Build a treatment-coded design matrix from a formula over sample data. Supported
 * terms: factor or numeric variable names separated by `+`, `1`/`0` (or `- 1`) for
 * the intercept. Interactions are not supported (pass a matrix instead).
 * Throws on unknown variables, wrong lengths, missing or empty levels and
 * rank-deficient designs, naming the offending column.
 * @example
 * ```ts
 * const d = buildDesign({ formula: "~ condition", data: { condition: ["A", "A", "B", "B"] } });
 * d.columns; // ["Intercept", "conditionB"]
 * ```
 */
export function buildDesign(spec: DesignSpec): Design {
  const f = spec.formula.trim();
  if (!f.startsWith("~")) throw new Error(`design: formula '${f}' must start with '~'`);
  const body = f.slice(1).replace(/-\s*1/g, "+ 0");
  const terms = body
    .split("+")
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  let intercept = true;
  const vars: string[] = [];
  for (const t of terms) {
    if (t === "1") intercept = true;
    else if (t === "0") intercept = false;
    else if (/[*:()^]/.test(t)) {
      throw new Error(
        `design: term '${t}' is not supported (only main effects); pass a design matrix instead`,
      );
    } else vars.push(t);
  }
  let n = -1;
  for (const v of vars) {
    const col = spec.data[v];
    if (!col)
      throw new Error(
        `design: variable '${v}' in formula '${f}' is not in data (have: ${Object.keys(spec.data).join(", ")})`,
      );
    if (n < 0) n = col.length;
    else if (col.length !== n)
      throw new Error(`design: variable '${v}' has ${col.length} values, expected ${n}`);
  }
  if (n < 0) {
    const any = Object.values(spec.data)[0];
    if (!any)
      throw new Error(
        "design: formula has no variables and data is empty; cannot tell the number of samples",
      );
    n = any.length;
  }
  const columns: string[] = [];
  const cols: Float64Array[] = [];
  const factors: Record<string, string[]> = {};
  if (intercept) {
    columns.push("Intercept");
    cols.push(new Float64Array(n).fill(1));
  }
  for (const v of vars) {
    const raw = Array.from(spec.data[v]!);
    if (raw.every((x) => typeof x === "number")) {
      const c = Float64Array.from(raw as number[]);
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(c[i]!))
          throw new Error(`design: covariate '${v}' has a non-finite value at sample ${i}`);
      }
      columns.push(v);
      cols.push(c);
      continue;
    }
    const values = raw.map(String);
    const levels = factorLevels(v, values, spec);
    factors[v] = levels;
    const first = intercept || Object.keys(factors).length > 1 ? 1 : 0;
    for (let l = first; l < levels.length; l++) {
      columns.push(`${v}${levels[l]}`);
      cols.push(Float64Array.from(values, (x) => (x === levels[l] ? 1 : 0)));
    }
  }
  const p = columns.length;
  if (p === 0) throw new Error(`design: formula '${f}' gives no columns`);
  const matrix = new Float64Array(n * p);
  for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) matrix[i * p + j] = cols[j]![i]!;
  return checkDesign({ matrix, nSamples: n, nCoef: p, columns, factors });
}

/**
 * Wrap a user matrix (n × p, row-major or an array of rows) as a {@link Design},
 * checking its shape and rank.
 */
export function designFromMatrix(
  matrix: Float64Array | readonly (readonly number[])[],
  columns: string[],
  nSamples?: number,
): Design {
  const p = columns.length;
  let m: Float64Array;
  if (matrix instanceof Float64Array) m = matrix;
  else {
    m = new Float64Array(matrix.length * p);
    matrix.forEach((row, i) => {
      if (row.length !== p)
        throw new Error(`design: row ${i} has ${row.length} entries but there are ${p} column names`);
      row.forEach((v, j) => {
        m[i * p + j] = v;
      });
    });
  }
  const n = nSamples ?? m.length / p;
  if (!Number.isInteger(n) || n * p !== m.length) {
    throw new Error(`design: matrix has ${m.length} entries, not a multiple of ${p} columns`);
  }
  for (let k = 0; k < m.length; k++) {
    if (!Number.isFinite(m[k]!))
      throw new Error(`design: entry (${Math.floor(k / p)}, ${columns[k % p]}) is not finite`);
  }
  return checkDesign({ matrix: m, nSamples: n, nCoef: p, columns: [...columns], factors: {} });
}

/** Design for a single factor (`~ condition`) with the given reference level. */
export function designFromConditions(
  conditions: readonly string[],
  reference?: string,
  name = "condition",
): Design {
  return buildDesign({
    formula: `~ ${name}`,
    data: { [name]: conditions },
    reference: reference === undefined ? undefined : { [name]: reference },
  });
}

/** Throw if the design is rank-deficient or has no residual degrees of freedom. */
export function checkDesign(d: Design): Design {
  const { matrix, nSamples: n, nCoef: p, columns } = d;
  if (n <= p) {
    throw new Error(
      `design: ${n} samples for ${p} coefficients (${columns.join(", ")}); need more samples than coefficients`,
    );
  }
  const f = householderQR(matrix, n, p);
  if (f.firstDependent >= 0) {
    throw new Error(
      `design: rank-deficient (rank ${f.rank} < ${p}); column '${columns[f.firstDependent]}' is a linear combination of ` +
        `[${columns.slice(0, f.firstDependent).join(", ")}]; drop it or merge levels`,
    );
  }
  return d;
}

/**
 * The distinct rows of a design and each sample's group. When the number of
 * distinct rows equals p the design is a pure factor design and the fast per-group
 * fit applies.
 */
export function designGroups(d: Design): { groups: Int32Array; nGroups: number; firstRows: number[] } {
  const keys = new Map<string, number>();
  const groups = new Int32Array(d.nSamples);
  const firstRows: number[] = [];
  for (let i = 0; i < d.nSamples; i++) {
    const key = Array.from(d.matrix.subarray(i * d.nCoef, (i + 1) * d.nCoef)).join(",");
    let g = keys.get(key);
    if (g === undefined) {
      g = keys.size;
      keys.set(key, g);
      firstRows.push(i);
    }
    groups[i] = g;
  }
  return { groups, nGroups: keys.size, firstRows };
}
