import type { Backend } from "../backend/backend.js";
import { checkLeaves, realize } from "./realize.js";
import type { Tensor } from "./tensor.js";

/**
 * Compute several lazy tensors in as few passes as possible: the pending expressions of those
 * with the same shape on the same backend run as one fused loop, each writing its own output.
 * The loop planner computes a subexpression they share once (expr/loop-plan.ts), and every
 * array they read is read in the same pass. An optimizer's update is the case in point: Adam's
 * new moments m and v and its new parameter (whose expression inlines m and v) are one pass
 * over the gradient and the old state instead of three. Values are those `realize` gives each
 * tensor alone, bit for bit: the same expressions, evaluated by the same op bodies.
 *
 * Tensors already computed are left as they are; deferred reductions and empty tensors are
 * realized as `realize` does them. A disposed tensor is an error naming its position.
 * @example
 * const [g, m0, x] = [tensor([1, 2]), zeros([2]), tensor([0.5, 0.5])];
 * const m = g.mul(0.1).add(m0.mul(0.9));
 * const p = x.sub(m.mul(0.01));
 * realizeTogether([m, p]); // one loop writes m and p
 */
export function realizeTogether(tensors: readonly Tensor[]): void {
  const groups = new Map<Backend, Map<string, Tensor[]>>();
  tensors.forEach((t, i) => {
    t.assertAlive(`realizeTogether (tensor ${i} of ${tensors.length})`);
    if (t._buf) return;
    if (!t._expr || t.size === 0) {
      realize(t);
      return;
    }
    const byShape = groups.get(t.backend) ?? new Map<string, Tensor[]>();
    groups.set(t.backend, byShape);
    const key = t.shape.join(",");
    const group = byShape.get(key) ?? [];
    if (!group.includes(t)) group.push(t);
    byShape.set(key, group);
  });
  for (const [backend, byShape] of groups)
    for (const members of byShape.values()) {
      for (const t of members) if (t._expr) checkLeaves(t._expr, "realizeTogether");
      // Computing a leaf (a deferred reduction) runs reductions only, but check anyway.
      const group = members.filter((t) => !t._buf && t._expr);
      if (group.length <= 1) {
        // Alone, as `realize` does it: pending reductions of its shape ride along.
        for (const t of group) realize(t);
        continue;
      }
      const kernels = group.map((t) => ({ expr: t._expr!, outDtype: t.dtype }));
      const bufs = group.map((t) => backend.alloc(t.dtype, t.size));
      backend.runFused(kernels, bufs);
      group.forEach((t, j) => {
        t._buf = bufs[j]!;
        t._expr = null;
      });
    }
}
