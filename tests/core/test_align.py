"""Hidden-unit alignment: the assignment solver and exact permutation recovery."""
import itertools

import numpy as np
import pytest

from weightlapse.core.align import align_hidden, linear_sum_assignment
from weightlapse.core.model import MLP


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (4, 6), (6, 4), (7, 7)])
def test_assignment_is_optimal(shape):
    rng = np.random.default_rng(sum(shape))
    for _ in range(5):
        C = rng.normal(size=shape)
        rows, cols = linear_sum_assignment(C)
        n, m = shape
        assert len(set(cols.tolist())) == len(cols) == min(n, m)
        best = min(sum(C[i, j] for i, j in zip(r, c))
                   for r, c in ((range(n), p) for p in itertools.permutations(range(m), n))) \
            if n <= m else min(sum(C[i, j] for i, j in zip(p, range(m)))
                               for p in itertools.permutations(range(n), m))
        assert C[rows, cols].sum() == pytest.approx(best)


def test_assignment_with_ties_and_large():
    rows, cols = linear_sum_assignment(np.zeros((5, 5)))
    assert sorted(cols.tolist()) == list(range(5))
    rng = np.random.default_rng(0)
    perm = rng.permutation(200)
    C = rng.random((200, 200)) + 1
    C[np.arange(200), perm] = 0  # a unique zero-cost assignment
    assert linear_sum_assignment(C)[1].tolist() == perm.tolist()


def permuted_copy(model, rng):
    """The same network with each hidden layer's units shuffled."""
    W = [w.copy() for w in model.weights]
    b = [x.copy() for x in model.biases]
    perms = []
    for l in range(len(W) - 1):
        p = rng.permutation(W[l].shape[1])
        W[l], b[l], W[l + 1] = W[l][:, p], b[l][p], W[l + 1][p, :]
        perms.append(p)
    return W, b, perms


def test_alignment_recovers_a_known_permutation_exactly():
    rng = np.random.default_rng(1)
    A = MLP([5, 16, 12, 3], "tanh", "xavier", "float64", rng=rng)
    Wb, bb, true_perms = permuted_copy(A, rng)
    X = rng.normal(size=(50, 5))
    B = MLP([5, 16, 12, 3], "tanh", "xavier", "float64")
    B.set_weights(Wb, bb)
    np.testing.assert_allclose(B.forward(X), A.forward(X), atol=1e-12)  # same function
    W2, b2, perms, report = align_hidden(A.weights, A.biases, Wb, bb)
    for Wa, Wc in zip(A.weights, W2):
        np.testing.assert_array_equal(Wa, Wc)
    for p, q in zip(perms, true_perms):
        np.testing.assert_array_equal(q[p], np.arange(len(p)))  # perm undoes the shuffle
    assert all(r["distance_after"] == pytest.approx(0.0, abs=1e-12) for r in report)
    assert all(r["distance_before"] > 0.1 for r in report)
    C = MLP([5, 16, 12, 3], "tanh", "xavier", "float64")
    C.set_weights(W2, b2)
    np.testing.assert_allclose(C.forward(X), A.forward(X), atol=1e-12)


def test_alignment_of_different_networks_keeps_their_function():
    rng = np.random.default_rng(2)
    A = MLP([4, 10, 3], "relu", "he", "float64", rng=np.random.default_rng(3))
    B = MLP([4, 10, 3], "relu", "he", "float64", rng=np.random.default_rng(4))
    W2, b2, perms, report = align_hidden(A.weights, A.biases, B.weights, B.biases)
    X = rng.normal(size=(30, 4))
    C = MLP([4, 10, 3], "relu", "he", "float64")
    C.set_weights(W2, b2)
    np.testing.assert_allclose(C.forward(X), B.forward(X), atol=1e-12)
    # what is reported is what the matching minimises: it never goes up, and
    # no other permutation does better
    assert report[0]["distance_after"] <= report[0]["distance_before"]
    from weightlapse.core.align import _rms_distance
    Fa = np.c_[A.weights[0].T, A.biases[0], A.weights[1]]
    for seed in range(20):
        p = np.random.default_rng(seed).permutation(10)
        Fb = np.c_[B.weights[0][:, p].T, B.biases[0][p], B.weights[1][p]]
        assert _rms_distance(Fa, Fb) >= report[0]["distance_after"] - 1e-12
