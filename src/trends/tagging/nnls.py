"""Theme weights of new texts under a fitted NMF model, in numpy alone (no scikit-learn import).

Holding the components H fixed, each text's weights w >= 0 minimise ||x - w H||^2. This is the cyclic
coordinate descent scikit-learn's ``non_negative_factorization(..., update_H=False, solver="cd")`` runs
(zero initial weights, the same update, the same projected-gradient stopping rule), vectorised over the
texts. One difference, on purpose: the stopping rule is applied to each text on its own rather than to
the sum over the batch, so a text's themes do not depend on which other texts came in the same batch
(an article ingested alone gets the themes `trends themes fit` gives it among 5,000).

Why not scikit-learn: importing ``sklearn.decomposition`` costs 1.5-2.5 s, which was most of a one-article
ingest; fitting still uses it (`trends.tagging.themes.fit`).
"""

from __future__ import annotations

import numpy as np

TOL = 1e-4
MAX_ITER = 400


def transform(X, components: np.ndarray, tol: float = TOL, max_iter: int = MAX_ITER) -> np.ndarray:
    """(texts, themes) non-negative weights of the rows of ``X`` (dense or scipy sparse, texts x features)."""
    H = np.asarray(components, dtype=np.float64)
    return solve(np.asarray(X @ H.T, dtype=np.float64), H @ H.T, tol, max_iter)


def solve(XHt: np.ndarray, HHt: np.ndarray, tol: float = TOL, max_iter: int = MAX_ITER) -> np.ndarray:
    """The weights from the products X H^T (texts x themes) and H H^T (themes x themes), which is all
    the descent reads (so a caller can form X H^T from sparse rows without building X)."""
    n, k = XHt.shape
    W = np.zeros((n, k))
    if n == 0 or k == 0:
        return W
    active = np.arange(n)
    initial = None
    for iteration in range(max_iter):
        w, xh = W[active], XHt[active]
        violation = np.zeros(len(active))
        for t in range(k):  # cyclic over themes, all active texts at once (texts are independent)
            grad = w @ HHt[t] - xh[:, t]
            col = w[:, t]
            violation += np.abs(np.where(col == 0, np.minimum(grad, 0.0), grad))
            if HHt[t, t] != 0:
                w[:, t] = np.maximum(col - grad / HHt[t, t], 0.0)
        W[active] = w
        if iteration == 0:
            initial = violation
            keep = initial > 0  # a text with nothing to fit (no vocabulary word) stays at zero
        else:
            keep = violation / initial > tol
        active, initial = active[keep], initial[keep]
        if not len(active):
            break
    return W
