/**
 * Test helpers for the VAE: a seeded 2-D latent NB simulator with clusters, k-means and the
 * adjusted Rand index (Hubert & Arabie 1985), written independently of the code under test.
 */

/** A small seeded PRNG (mulberry32) and its normal / gamma / Poisson draws. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const gamma = (k: number): number => {
    // Marsaglia–Tsang; k < 1 by the boost u^(1/k)
    if (k < 1) return gamma(k + 1) * u() ** (1 / k);
    const d = k - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      const v = (1 + c * x) ** 3;
      if (v > 0 && Math.log(1 - u()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const poisson = (lam: number): number => {
    if (lam > 50) return Math.max(0, Math.round(lam + Math.sqrt(lam) * normal()));
    const L = Math.exp(-lam);
    let k = 0;
    let p = 1;
    for (;;) {
      p *= u();
      if (p <= L) return k;
      k++;
    }
  };
  return { u, normal, gamma, poisson };
}

/**
 * Counts [C, G] from a 2-D latent NB model: `nClusters` cluster centres on a circle of radius
 * 3, z_c = centre + N(0, 0.3²·I), log mean_cg = b_g + (W z_c)_g with W ~ N(0, 0.5²), b_g ~
 * U(0, 2), NB with dispersion r = 5 (Gamma–Poisson).
 */
export function simulateLatentNB(C: number, G: number, seed: number, nClusters = 3) {
  const R = rng(seed);
  const W = Array.from({ length: 2 * G }, () => 0.5 * R.normal());
  const b = Array.from({ length: G }, () => 2 * R.u());
  const labels = new Int32Array(C);
  const counts = new Float32Array(C * G);
  const r = 5;
  for (let c = 0; c < C; c++) {
    const k = c % nClusters;
    labels[c] = k;
    const ang = (2 * Math.PI * k) / nClusters;
    const z0 = 3 * Math.cos(ang) + 0.3 * R.normal();
    const z1 = 3 * Math.sin(ang) + 0.3 * R.normal();
    for (let g = 0; g < G; g++) {
      const mean = Math.exp(b[g]! + W[2 * g]! * z0 + W[2 * g + 1]! * z1);
      counts[c * G + g] = R.poisson((R.gamma(r) / r) * mean);
    }
  }
  return { counts, labels };
}

/** Lloyd's k-means with k-means++ seeding, best of `restarts`; returns labels. */
export function kmeans(
  x: ArrayLike<number>,
  n: number,
  d: number,
  k: number,
  seed = 1,
  restarts = 5,
): Int32Array {
  const R = rng(seed);
  let best: Int32Array = new Int32Array(n);
  let bestCost = Number.POSITIVE_INFINITY;
  const dist2 = (i: number, c: Float64Array, j: number) => {
    let s = 0;
    for (let t = 0; t < d; t++) s += (x[i * d + t]! - c[j * d + t]!) ** 2;
    return s;
  };
  for (let rep = 0; rep < restarts; rep++) {
    const cent = new Float64Array(k * d);
    const first = Math.floor(R.u() * n);
    for (let t = 0; t < d; t++) cent[t] = x[first * d + t]!;
    for (let j = 1; j < k; j++) {
      const w = new Float64Array(n);
      let tot = 0;
      for (let i = 0; i < n; i++) {
        let m = Number.POSITIVE_INFINITY;
        for (let q = 0; q < j; q++) m = Math.min(m, dist2(i, cent, q));
        w[i] = m;
        tot += m;
      }
      let t0 = R.u() * tot;
      let pick = n - 1;
      for (let i = 0; i < n; i++) {
        t0 -= w[i]!;
        if (t0 <= 0) {
          pick = i;
          break;
        }
      }
      for (let t = 0; t < d; t++) cent[j * d + t] = x[pick * d + t]!;
    }
    const lab = new Int32Array(n);
    let cost = 0;
    for (let it = 0; it < 100; it++) {
      cost = 0;
      for (let i = 0; i < n; i++) {
        let bj = 0;
        let bd = Number.POSITIVE_INFINITY;
        for (let j = 0; j < k; j++) {
          const dd = dist2(i, cent, j);
          if (dd < bd) {
            bd = dd;
            bj = j;
          }
        }
        lab[i] = bj;
        cost += bd;
      }
      const sum = new Float64Array(k * d);
      const cnt = new Float64Array(k);
      for (let i = 0; i < n; i++) {
        cnt[lab[i]!]!++;
        for (let t = 0; t < d; t++) sum[lab[i]! * d + t]! += x[i * d + t]!;
      }
      for (let j = 0; j < k; j++)
        if (cnt[j]! > 0) for (let t = 0; t < d; t++) cent[j * d + t] = sum[j * d + t]! / cnt[j]!;
    }
    if (cost < bestCost) {
      bestCost = cost;
      best = lab;
    }
  }
  return best;
}

/** Adjusted Rand index of two labelings (Hubert & Arabie 1985). */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const table = new Map<string, number>();
  const ra = new Map<number, number>();
  const rb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    ra.set(a[i]!, (ra.get(a[i]!) ?? 0) + 1);
    rb.set(b[i]!, (rb.get(b[i]!) ?? 0) + 1);
  }
  const c2 = (m: number) => (m * (m - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sa = 0;
  for (const v of ra.values()) sa += c2(v);
  let sb = 0;
  for (const v of rb.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
