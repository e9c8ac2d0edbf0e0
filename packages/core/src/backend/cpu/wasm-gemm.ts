import { encodeModule, I32, op, V128, type WasmFunction } from "./wasm-encoder.js";

/**
 * Matrix products on WebAssembly SIMD (128-bit lanes: four float32 or two float64), the cpu
 * backend's kernel for all but tiny products. Plain JS reaches well under 1 GMAC/s on a matrix
 * product; a register-tiled SIMD loop reaches several, which is what a VAE epoch (≈ 13 GMAC)
 * needs. The layout follows the usual packed-panel GEMM (Goto & van de Geijn, "Anatomy of
 * high-performance matrix multiplication", ACM TOMS 34(3), 2008): B is packed into panels of
 * W columns (zero-padded), A's rows are read in place, C is computed in R × W register tiles,
 * and k is split into blocks of KC so a B panel block stays in L1 while A's slab sits in L2.
 *
 * Accumulation is in the operands' precision: float32 sums run over at most KC terms before
 * they are stored, so the rounding error is bounded by about (KC + k / KC) · 2⁻²⁴ · Σ|a||b|
 * per entry (float64: the same with 2⁻⁵³).
 *
 * The module's memory grows to the largest product seen (operands plus output) and is kept for
 * reuse; it is not shrunk.
 */

/** Rows of the register tile (each row holds W = 2 vectors of accumulators). */
const R = 4;
/** Depth of one k block. */
const KC = 256;

interface Variant {
  /** Bytes per element. */
  readonly e: 4 | 8;
  readonly splat: readonly number[];
  readonly add: readonly number[];
  readonly mul: readonly number[];
}

/**
 * One k block of C (+)= A · Bpacked for all row tiles and panels. Parameters (all i32, byte
 * addresses and byte strides): a, lda (between rows of A), pb, panelStride, c, ldc, m (a
 * multiple of R), kc, nPanels, accumulate (0: C = A·B, else C += A·B), ka (between
 * consecutive k of one row: e for A stored m × k, m·e for A stored k × m, i.e. transposed, so
 * a transposed A is read in place with the same order of operations).
 */
function gemmFunction(exportName: string, v: Variant): WasmFunction {
  const [a, lda, pb, panelStride, c, ldc, m, kc, nPanels, accumulate, ka] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
  ];
  const nParams = 11;
  const jb = nParams;
  const ib = nParams + 1;
  const pa = (r: number) => nParams + 2 + r; // row pointers
  const pbp = nParams + 2 + R;
  const pend = pbp + 1;
  const cp = pend + 1;
  const nI32 = R + 5;
  const acc = (r: number, h: number) => nParams + nI32 + 2 * r + h;
  const b0 = nParams + nI32 + 2 * R;
  const b1 = b0 + 1;
  const panelBytes = 32; // W columns × e bytes = two vectors
  const body: number[] = [];
  const emit = (...xs: (readonly number[])[]) => {
    for (const x of xs) body.push(...x);
  };
  // Load or zero the accumulators of the tile at row ib, panel jb (cp points at its first row).
  const tileRows = (each: (r: number) => void) => {
    for (let r = 0; r < R; r++) {
      each(r);
      if (r < R - 1) emit(op.get(cp), op.get(ldc), op.i32Add, op.set(cp));
    }
  };
  const setCp = () => {
    emit(op.get(c), op.get(ib), op.get(ldc), op.i32Mul, op.i32Add);
    emit(op.get(jb), op.i32(panelBytes), op.i32Mul, op.i32Add, op.set(cp));
  };
  emit(op.loop); // over panels jb
  emit(op.i32(0), op.set(ib));
  emit(op.block, op.loop); // over row tiles ib
  emit(op.get(ib), op.get(m), op.i32GeU, op.brIf(1));
  // row pointers and the end of row 0's k block
  emit(op.get(a), op.get(ib), op.get(lda), op.i32Mul, op.i32Add, op.set(pa(0)));
  for (let r = 1; r < R; r++) emit(op.get(pa(r - 1)), op.get(lda), op.i32Add, op.set(pa(r)));
  emit(op.get(pa(0)), op.get(kc), op.get(ka), op.i32Mul, op.i32Add, op.set(pend));
  emit(op.get(pb), op.get(jb), op.get(panelStride), op.i32Mul, op.i32Add, op.set(pbp));
  setCp();
  emit(op.get(accumulate), op.if);
  tileRows((r) => {
    emit(op.get(cp), op.v128Load(0), op.set(acc(r, 0)));
    emit(op.get(cp), op.v128Load(16), op.set(acc(r, 1)));
  });
  emit(op.else);
  for (let r = 0; r < R; r++) emit(op.v128Zero, op.set(acc(r, 0)), op.v128Zero, op.set(acc(r, 1)));
  emit(op.end);
  // the k loop: one row of the B panel, one element of each A row, R × 2 vector FMAs
  emit(op.loop);
  emit(op.get(pbp), op.v128Load(0), op.set(b0), op.get(pbp), op.v128Load(16), op.set(b1));
  for (let r = 0; r < R; r++) {
    emit(op.get(pa(r)), v.splat);
    emit(op.tee(b1 + 1), op.get(b0), v.mul, op.get(acc(r, 0)), v.add, op.set(acc(r, 0)));
    emit(op.get(b1 + 1), op.get(b1), v.mul, op.get(acc(r, 1)), v.add, op.set(acc(r, 1)));
    emit(op.get(pa(r)), op.get(ka), op.i32Add, op.set(pa(r)));
  }
  emit(op.get(pbp), op.i32(panelBytes), op.i32Add, op.set(pbp));
  emit(op.get(pa(0)), op.get(pend), op.i32LtU, op.brIf(0));
  emit(op.end);
  setCp();
  tileRows((r) => {
    emit(op.get(cp), op.get(acc(r, 0)), op.v128Store(0));
    emit(op.get(cp), op.get(acc(r, 1)), op.v128Store(16));
  });
  emit(op.get(ib), op.i32(R), op.i32Add, op.set(ib), op.br(0));
  emit(op.end, op.end);
  emit(op.get(jb), op.i32(1), op.i32Add, op.tee(jb), op.get(nPanels), op.i32LtU, op.brIf(0));
  emit(op.end);
  return {
    exportName,
    params: nParams,
    locals: [
      [nI32, I32],
      [2 * R + 3, V128],
    ],
    body,
  };
}

type GemmFn = (...args: number[]) => void;

interface GemmModule {
  readonly memory: WebAssembly.Memory;
  readonly f32: GemmFn;
  readonly f64: GemmFn;
}

let loaded: GemmModule | null | undefined;

/** The compiled kernels, or null where WebAssembly SIMD is unavailable (the JS loop runs then). */
function gemmModule(): GemmModule | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    if (typeof WebAssembly === "undefined") return null;
    const bytes = encodeModule(
      [
        gemmFunction("gemm_f32", { e: 4, splat: op.v128Load32Splat(), add: op.f32x4Add, mul: op.f32x4Mul }),
        gemmFunction("gemm_f64", { e: 8, splat: op.v128Load64Splat(), add: op.f64x2Add, mul: op.f64x2Mul }),
      ],
      1,
    );
    if (!WebAssembly.validate(bytes)) return null;
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const ex = inst.exports as { memory: WebAssembly.Memory; gemm_f32: GemmFn; gemm_f64: GemmFn };
    loaded = { memory: ex.memory, f32: ex.gemm_f32, f64: ex.gemm_f64 };
  } catch {
    loaded = null;
  }
  return loaded;
}

/** Whether the SIMD kernels are in use (tests report which path they checked). */
export function wasmGemmAvailable(): boolean {
  return gemmModule() !== null;
}

/** Views of the module's memory, remade only after it grew (growing detaches the old buffer). */
const views = new Map<Float32ArrayConstructor | Float64ArrayConstructor, Float32Array | Float64Array>();

function memoryView<T extends Float32ArrayConstructor | Float64ArrayConstructor>(
  mod: GemmModule,
  Ctor: T,
): InstanceType<T> {
  const buf = mod.memory.buffer;
  let v = views.get(Ctor);
  if (!v || v.buffer !== buf) {
    v = new Ctor(buf);
    views.set(Ctor, v);
  }
  return v as InstanceType<T>;
}

const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

/**
 * O[t] = op(A[t]) · op(B[t]) for `batch` row-major products (m × k times k × n; a batch stride
 * of 0 shares that operand), all three arrays Float32Array or all Float64Array. With `transA`
 * each A[t] is stored k × m and its transpose is used, with `transB` each B[t] is stored n × k:
 * both are read in place (A by the kernel's k stride, B while packing its panels), and the
 * terms are summed in the same order as for an explicitly transposed copy, so the result is
 * bit-identical to it. Returns false when WebAssembly SIMD is unavailable or the operands do
 * not fit a 32-bit address space.
 */
export function wasmMatmul(
  A: Float32Array | Float64Array,
  B: Float32Array | Float64Array,
  O: Float32Array | Float64Array,
  batch: number,
  m: number,
  k: number,
  n: number,
  aBatchStride: number,
  bBatchStride: number,
  transA = false,
  transB = false,
): boolean {
  const mod = gemmModule();
  if (!mod) return false;
  const f64 = O instanceof Float64Array;
  const e = f64 ? 8 : 4;
  const W = 32 / e; // columns per panel: two 16-byte vectors
  const mPad = Math.ceil(m / R) * R;
  const nPanels = Math.ceil(n / W);
  const ldcEl = nPanels * W;
  const aOff = 0;
  const pbOff = align16(aOff + mPad * k * e);
  const cOff = align16(pbOff + nPanels * W * k * e);
  const total = cOff + mPad * ldcEl * e;
  if (total > 2 ** 31) return false;
  const have = mod.memory.buffer.byteLength;
  if (total > have) {
    try {
      mod.memory.grow(Math.ceil((total - have) / 65536));
    } catch {
      return false; // the engine's memory limit: the JS loop runs instead
    }
  }
  const mem = f64 ? memoryView(mod, Float64Array) : memoryView(mod, Float32Array);
  const gemm = f64 ? mod.f64 : mod.f32;
  const aEl = aOff / e;
  const pbEl = pbOff / e;
  const cEl = cOff / e;
  // A in wasm memory: mPad × k (rows padded with zeros), or k × mPad when transposed
  const lda = transA ? e : k * e;
  const ka = transA ? mPad * e : e;
  for (let t = 0; t < batch; t++) {
    if (t === 0 || aBatchStride !== 0) copyA(A, t * aBatchStride, m, k, mPad, transA, mem, aEl);
    if (t === 0 || bBatchStride !== 0) packB(B, t * bBatchStride, k, n, W, transB, mem, pbEl);
    for (let k0 = 0; k0 < k; k0 += KC) {
      const kc = Math.min(KC, k - k0);
      gemm(aOff + k0 * ka, lda, pbOff + k0 * W * e, k * W * e, cOff, ldcEl * e, mPad, kc, nPanels, k0, ka);
    }
    const oo = t * m * n;
    if (ldcEl === n) O.set(mem.subarray(cEl, cEl + m * n), oo);
    else for (let i = 0; i < m; i++) O.set(mem.subarray(cEl + i * ldcEl, cEl + i * ldcEl + n), oo + i * n);
  }
  return true;
}

/** Copy A (at offset ao) into the module's memory as it is stored, padding its m rows (or columns) to mPad with zeros. */
function copyA(
  A: Float32Array | Float64Array,
  ao: number,
  m: number,
  k: number,
  mPad: number,
  transA: boolean,
  mem: Float32Array | Float64Array,
  aEl: number,
): void {
  if (!transA) {
    mem.set(A.subarray(ao, ao + m * k), aEl);
    mem.fill(0, aEl + m * k, aEl + mPad * k);
  } else if (mPad === m) mem.set(A.subarray(ao, ao + k * m), aEl);
  else
    for (let p = 0; p < k; p++) {
      const dst = aEl + p * mPad;
      mem.set(A.subarray(ao + p * m, ao + (p + 1) * m), dst);
      mem.fill(0, dst + m, dst + mPad);
    }
}

/**
 * Pack B (k × n at offset bo, or n × k when `transB`) into panels of W columns: panel j holds
 * k rows of W values (columns past n are zero).
 */
function packB(
  B: Float32Array | Float64Array,
  bo: number,
  k: number,
  n: number,
  W: number,
  transB: boolean,
  mem: Float32Array | Float64Array,
  pbEl: number,
): void {
  const full = Math.floor(n / W);
  const panel = k * W;
  if (transB) {
    // column `col` of op(B) is row `col` of the stored B: read it contiguously, write with stride W
    for (let col = 0; col < n; col++) {
      const src = bo + col * k;
      const dst = pbEl + Math.floor(col / W) * panel + (col % W);
      for (let p = 0; p < k; p++) mem[dst + p * W] = B[src + p]!;
    }
    for (let col = n; col < Math.ceil(n / W) * W; col++) {
      const dst = pbEl + Math.floor(col / W) * panel + (col % W);
      for (let p = 0; p < k; p++) mem[dst + p * W] = 0;
    }
    return;
  }
  for (let p = 0; p < k; p++) {
    const src = bo + p * n;
    let dst = pbEl + p * W;
    for (let j = 0; j < full; j++, dst += panel)
      for (let c = 0; c < W; c++) mem[dst + c] = B[src + j * W + c]!;
    if (full * W < n)
      for (let c = 0; c < W; c++) {
        const col = full * W + c;
        mem[dst + c] = col < n ? B[src + col]! : 0;
      }
  }
}
