/**
 * The few pieces of the WebAssembly binary format (core spec §5, SIMD proposal opcodes) that
 * the cpu backend's hand-written kernels need, so a kernel is built from readable
 * instructions at load time instead of shipping an opaque blob. Only what wasm-gemm.ts uses.
 */

/** Unsigned LEB128 (spec §5.2.2). */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (spec §5.2.2). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A UTF-8 name with its length prefix. */
function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

/** A vector: count, then the items' bytes. */
function vec(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: readonly number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Value types (spec §5.3.1). */
export const I32 = 0x7f;
export const V128 = 0x7b;

/** Instructions as byte sequences; SIMD ones carry the 0xfd prefix and a LEB opcode. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  tee: (local: number) => [0x22, ...uleb(local)],
  i32: (n: number) => [0x41, ...sleb(n)],
  i32Eqz: [0x45],
  i32LtU: [0x49],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  /** v128.load with alignment exponent `align` and a constant byte offset. */
  v128Load: (offset = 0, align = 4) => [0xfd, ...uleb(0x00), align, ...uleb(offset)],
  v128Load32Splat: (offset = 0) => [0xfd, ...uleb(0x09), 2, ...uleb(offset)],
  v128Load64Splat: (offset = 0) => [0xfd, ...uleb(0x0a), 3, ...uleb(offset)],
  v128Store: (offset = 0, align = 4) => [0xfd, ...uleb(0x0b), align, ...uleb(offset)],
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  f64x2Add: [0xfd, ...uleb(0xf0)],
  f64x2Mul: [0xfd, ...uleb(0xf2)],
} as const;

/** One exported function: its i32 parameters, extra locals by type, and its body. */
export interface WasmFunction {
  readonly exportName: string;
  readonly params: number;
  readonly locals: readonly (readonly [count: number, type: number])[];
  readonly body: readonly number[];
}

/**
 * A module of functions taking only i32 parameters and returning nothing, with one memory of
 * `pages` 64 KiB pages exported as "memory".
 */
export function encodeModule(functions: readonly WasmFunction[], pages: number): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(new Array(f.params).fill([I32])), 0x00]);
  const codes = functions.map((f) => {
    const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, ...op.end];
    return [...uleb(body.length), ...body];
  });
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(
      7,
      vec([
        ...functions.map((f, i) => [...name(f.exportName), 0x00, ...uleb(i)]),
        [...name("memory"), 0x02, 0x00],
      ]),
    ),
    ...section(10, vec(codes)),
  ];
  return new Uint8Array(bytes);
}
