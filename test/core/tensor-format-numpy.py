"""Reference reprs for test/core/tensor-format.test.ts, written by NumPy's array2string
(separator ", ", prefix "Tensor(", NumPy's default maxprec float mode, threshold 1000,
edgeitems 3, linewidth 75). Run: python3 test/core/tensor-format-numpy.py > test/core/tensor-format-numpy.json"""
import json
import numpy as np

cases = [
    ("float32 2x2", np.array([[1, 2], [3, 4]], dtype=np.float32), 4),
    ("float32 mixed digits", np.array([1.0, 2.5, -0.125, 10.0], dtype=np.float32), 4),
    ("float32 rounding", np.array([0.1, 1 / 3, 2 / 3], dtype=np.float32), 4),
    ("float64 precision 8", np.array([np.pi, np.e, -1.5]), 8),
    ("float32 scientific", np.array([1e-5, 2.5, 300.0], dtype=np.float32), 4),
    ("float32 big", np.array([1e9, 2e9], dtype=np.float32), 4),
    ("nan inf", np.array([1.5, np.nan, np.inf, -np.inf]), 8),
    ("int32", np.array([[1, -20], [300, 4]], dtype=np.int32), 4),
    ("abridged 1d", np.arange(2000, dtype=np.int32), 4),
    ("abridged 2d", np.arange(2000, dtype=np.int32).reshape(40, 50), 4),
    ("3d", np.arange(12, dtype=np.float32).reshape(2, 2, 3) / 4, 4),
    ("wrapped row", np.arange(30, dtype=np.float32) * 1.25, 4),
    ("scalar", np.array(2.5, dtype=np.float32), 4),
]
out = []
for name, a, prec in cases:
    s = np.array2string(a, separator=", ", prefix="Tensor(", precision=prec, threshold=1000, edgeitems=3, max_line_width=75)
    out.append({"name": name, "dtype": str(a.dtype), "shape": list(a.shape), "values": [float(v) if np.isfinite(v) else str(v) for v in a.ravel()], "precision": prec, "repr": s})
print(json.dumps(out, indent=1))
