/**
 * Boolean HDF5 attributes for files written with h5wasm.
 *
 * h5py (and so Python anndata) reads booleans from HDF5 enum types with members
 * `FALSE = 0, TRUE = 1`; anndata 0.8 requires the categorical `ordered` attribute to be such a
 * boolean. h5wasm cannot create enum types, so the writer stores a fixed-length string
 * placeholder of {@link PLACEHOLDER_BYTES} bytes, and after the file is closed this module
 * rewrites that attribute message in place as a scalar `int8` enum `{FALSE: 0, TRUE: 1}`.
 *
 * Only version-1 attribute messages (HDF5's default "earliest" file format, which h5wasm uses)
 * are rewritten; anything else is left alone and reported as unpatched so the caller can fall
 * back to a plain integer attribute. Browser-safe: operates on byte arrays.
 * @module
 */

/** Length of the placeholder string attribute (also its datatype size). */
export const PLACEHOLDER_BYTES = 40;

const MARK = "@@scribe-bool-attr@@";

/** The placeholder string for a boolean value (exactly {@link PLACEHOLDER_BYTES} ASCII characters). */
export function boolPlaceholder(value: boolean): string {
  return (MARK + (value ? "1" : "0")).padEnd(PLACEHOLDER_BYTES, "#");
}

/** The marker bytes to search for in a file. */
export const MARKER_BYTES: Uint8Array = new TextEncoder().encode(MARK);

const pad8 = (n: number) => (n + 7) & ~7;

/** Datatype message for a 1-byte signed little-endian enum {FALSE: 0, TRUE: 1} (38 bytes). */
function enumDatatype(): Uint8Array {
  const out = new Uint8Array(38);
  // version 1, class 8 (enum); class bits: 2 members; size 1
  out.set([0x18, 2, 0, 0, 1, 0, 0, 0], 0);
  // base type: version 1, class 0 (fixed point), signed, little-endian; size 1; offset 0, precision 8
  out.set([0x10, 0x08, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0], 8);
  // names, each NUL-terminated and padded to 8 bytes
  out.set(new TextEncoder().encode("FALSE"), 20);
  out.set(new TextEncoder().encode("TRUE"), 28);
  // values
  out[36] = 0;
  out[37] = 1;
  return out;
}

// Bytes past the window read as 0, as `undefined | 0` did before: such a header never matches.
const le16 = (b: Uint8Array, p: number) => (b[p] ?? 0) | ((b[p + 1] ?? 0) << 8);

/**
 * Rewrite the attribute message whose placeholder data starts at `dataPos` in `buf` (a window
 * of the file) as a boolean enum attribute. Returns `false` (and leaves `buf` unchanged) when
 * the surrounding bytes are not the expected version-1 attribute message.
 */
export function patchBoolAttribute(buf: Uint8Array, dataPos: number, name = "ordered"): boolean {
  const value = buf[dataPos + MARKER_BYTES.length] === 0x31;
  const nameLen = new TextEncoder().encode(name).length + 1;
  for (const dsPadded of [8, 16, 24]) {
    const start = dataPos - dsPadded - 8 - pad8(nameLen) - 8;
    if (start < 0 || buf[start] !== 1 || buf[start + 1] !== 0) continue;
    if (
      le16(buf, start + 2) !== nameLen ||
      le16(buf, start + 4) !== 8 ||
      pad8(le16(buf, start + 6)) !== dsPadded
    )
      continue;
    const nameBytes = new TextDecoder().decode(buf.subarray(start + 8, start + 8 + nameLen - 1));
    if (nameBytes !== name || buf[start + 8 + nameLen - 1] !== 0) continue;
    // the old datatype must be a fixed-length string (class 3) of PLACEHOLDER_BYTES bytes
    const dt = start + 8 + pad8(nameLen);
    if (((buf[dt] ?? 0) & 0x0f) !== 3 || buf[dt + 4] !== PLACEHOLDER_BYTES || buf[dt + 5] !== 0) continue;
    const space = buf.slice(dt + 8, dt + 8 + dsPadded);
    const enumDt = enumDatatype();
    const body = new Uint8Array(8 + dsPadded + PLACEHOLDER_BYTES); // bytes available after the name
    body.set(enumDt, 0);
    body.set(space, pad8(enumDt.length));
    body[pad8(enumDt.length) + dsPadded] = value ? 1 : 0;
    buf[start + 4] = enumDt.length;
    buf[start + 5] = 0;
    buf.set(body, dt);
    return true;
  }
  return false;
}

/**
 * Positions of every marker occurrence in `buf`. The scan jumps between occurrences of the
 * marker's '-' rather than its leading '@': 0x40 is the high byte of every float32 in [2, 4),
 * so in a count matrix '@' is everywhere and '-' is as rare as any byte.
 */
export function findMarkers(buf: Uint8Array): number[] {
  const hits: number[] = [];
  const m = MARKER_BYTES;
  const anchorAt = m.indexOf(0x2d); // '-' in MARK
  const anchor = m[anchorAt]!; // MARK contains '-'
  let q = buf.indexOf(anchor, anchorAt);
  while (q >= 0) {
    const p = q - anchorAt;
    if (p + m.length > buf.length) break;
    let ok = true;
    for (let k = 0; k < m.length; k++) {
      if (buf[p + k] !== m[k]) {
        ok = false;
        break;
      }
    }
    if (ok) hits.push(p);
    q = buf.indexOf(anchor, q + 1);
  }
  return hits;
}
