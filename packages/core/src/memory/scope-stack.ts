import type { Tensor } from "../tensor/tensor.js";

/**
 * The open memory scopes, innermost last; each holds the tensors created while it is open.
 * The Tensor constructor adds every new tensor to the innermost one and `scope()` (scope.ts)
 * pushes and pops them. A module of its own so that neither of those imports the other.
 * @module
 */
export const openScopes: Set<Tensor>[] = [];
