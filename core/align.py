"""Aligning the hidden units of two networks of the same architecture.

Hidden units are interchangeable: permuting a layer's units (its columns of
W_l, entries of b_l, and rows of W_{l+1}) leaves the network's function
unchanged. To compare two runs weight by weight, B's units are first matched
to A's, layer by layer, by an optimal assignment on weight similarity.
"""
from __future__ import annotations

import numpy as np


def linear_sum_assignment(cost: np.ndarray):
    """Minimum-cost assignment for an (n, m) cost matrix, n <= m: returns
    (rows, cols) with cols[i] the column given to row i.

    The Hungarian method with potentials (shortest augmenting paths,
    O(n^2 m)); the inner loop over columns is vectorised.
    """
    C = np.asarray(cost, dtype=np.float64)
    n, m = C.shape
    if n > m:
        cols, rows = linear_sum_assignment(C.T)
        order = np.argsort(rows)
        return rows[order], cols[order]
    INF = np.inf
    u, v = np.zeros(n + 1), np.zeros(m + 1)
    p = np.zeros(m + 1, dtype=np.intp)       # p[j]: row (1-based) holding column j
    way = np.zeros(m + 1, dtype=np.intp)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(m + 1, INF)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = p[j0]
            free = ~used
            free[0] = False
            cur = C[i0 - 1] - u[i0] - v[1:]
            better = free[1:] & (cur < minv[1:])
            minv[1:][better] = cur[better]
            way[1:][better] = j0
            masked = np.where(free, minv, INF)
            j1 = int(np.argmin(masked))
            delta = masked[j1]
            u[p[used]] += delta
            v[used] -= delta
            minv[free] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    cols = np.full(n, -1, dtype=np.intp)
    for j in range(1, m + 1):
        if p[j]:
            cols[p[j] - 1] = j - 1
    return np.arange(n), cols


def _rms_distance(Fa, Fb):
    """Root mean square over units of the distance between unit i of A and
    unit i of B (Fa, Fb: (units, features)): the matching minimises exactly
    this, so it never goes up."""
    return float(np.sqrt(np.mean(np.sum((Fa - Fb) ** 2, axis=1))))


def _incoming(W, b, l):
    """(units, features) of layer l: incoming weights and bias per unit (a
    kernel (O, C, k, k): its C * k * k values)."""
    Wl = W[l].reshape(W[l].shape[0], -1) if W[l].ndim == 4 else W[l].T
    return np.concatenate([Wl, b[l][:, None]], axis=1)


def _permute(W, b, l, perm):
    """Reorder layer l's units (output channels) by ``perm`` and the next
    layer's inputs with them: a next kernel's input channels, a dense
    layer's rows (one block of H * W rows per channel after a flattening)."""
    W[l] = W[l][perm] if W[l].ndim == 4 else W[l][:, perm]
    b[l] = b[l][perm]
    nxt = W[l + 1]
    if nxt.ndim == 4:
        W[l + 1] = nxt[:, perm]
    elif W[l].ndim == 4:          # flattened maps, C-major: permute channel blocks
        n = len(perm)
        W[l + 1] = nxt.reshape(n, -1, nxt.shape[1])[perm].reshape(nxt.shape)
    else:
        W[l + 1] = nxt[perm, :]


def align_hidden(weights_a, biases_a, weights_b, biases_b):
    """Permute B's hidden units to best match A's, layer by layer.

    weights_*[l]: (n_l, n_{l+1}), or a conv layer's kernels (O, C, k, k)
    (conv layers first, as a run stores them: their units are the output
    channels); biases_*[l]: (n_{l+1},). Each hidden unit is
    described by its incoming weights (rows already in aligned order), its
    bias and, for the last hidden layer, its outgoing weights to the fixed
    output units; the assignment minimises the summed squared distance. The
    permutation is carried through to the next layer's weights (a conv
    layer's next kernels' input channels, or the flattened rows of each
    channel), so the aligned B computes exactly the same function as B.

    Returns (weights, biases, perms, report): B aligned, the permutation of
    each hidden layer (aligned unit i = original unit perms[l][i]), and per
    layer the quantity minimised before and after matching: the root mean
    square distance between matched units' feature vectors.
    """
    Wb = [np.array(w, dtype=np.float64) for w in weights_b]
    bb = [np.array(b, dtype=np.float64) for b in biases_b]
    Wa = [np.asarray(w, dtype=np.float64) for w in weights_a]
    ba = [np.asarray(b, dtype=np.float64) for b in biases_a]
    perms, report = [], []
    for l in range(len(Wa) - 1):
        last = l == len(Wa) - 2

        def features(W, b):
            out = W[l + 1]
            if W[l].ndim == 4:        # a channel's outgoing weights, whatever follows
                out = out.reshape(len(b[l]), -1) if out.ndim == 2 else \
                    np.moveaxis(out, 1, 0).reshape(len(b[l]), -1)
            parts = [_incoming(W, b, l)] + ([out] if last else [])
            return np.concatenate(parts, axis=1)

        Fa, Fb = features(Wa, ba), features(Wb, bb)
        before = _rms_distance(Fa, Fb)
        cost = (np.sum(Fa ** 2, 1)[:, None] + np.sum(Fb ** 2, 1)[None, :]
                - 2 * Fa @ Fb.T)
        _, perm = linear_sum_assignment(cost)
        _permute(Wb, bb, l, perm)
        after = _rms_distance(Fa, features(Wb, bb))
        perms.append(perm)
        report.append({"layer": l + 1, "units": len(perm), "distance_before": before,
                       "distance_after": after,
                       "moved": int(np.count_nonzero(perm != np.arange(len(perm))))})
    return Wb, bb, perms, report
