r"""Neural-collapse and fine-structure metrics, written from their definitions.

Papyan, Han & Donoho 2020 (PNAS, arXiv:2008.08186), with features ``h_i``, labels
``y_i in 0..C-1``, class means ``mu_c``, global mean ``mu_G`` (mean of the class means),
``M~ = [mu_c - mu_G]``, ``Sigma_W = (1/N) sum_i (h_i - mu_{y_i})(h_i - mu_{y_i})^T``,
``Sigma_B = (1/C) sum_c (mu_c - mu_G)(mu_c - mu_G)^T``:

* NC1 ``= (1/C) tr(Sigma_W Sigma_B^+)``;
* NC2: equinorm ``std_c ||mu~_c|| / mean_c ||mu~_c||``, cosines between centred means
  (``-1/(C-1)`` for a simplex ETF), ETF error ``|| M~M~^T/||M~M~^T||_F - (I - 11^T/C)/sqrt(C-1) ||_F``;
* NC3 ``|| W/||W||_F - M~^T/||M~||_F ||_F^2`` for a classifier ``W`` (C, p);
* NC4: fraction of samples whose classifier argmax differs from the nearest class mean;
* CDNV (Galanti et al. 2022): ``(sigma_c^2 + sigma_c'^2) / (2 ||mu_c - mu_c'||^2)``.

Fine structure inside coarse classes (Yang, Steinhardt & Hu, ICML 2023):
k-means (k = S) inside each coarse class with Hungarian matching to the fine
labels; ``tr Sigma_W^fine / tr Sigma_B^{fine|coarse}`` (traces, no pseudo-inverse:
the between-fine directions are tiny and an inverse explodes); a linear probe.
Every metric is invariant to relabelling the classes.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from theorylab._validate import check_int
from theorylab.rng import as_generator

__all__ = ["class_statistics", "nc1", "nc2", "nc3", "nc4", "cdnv", "fine_clustering_accuracy",
           "fine_variance_ratio", "linear_probe_accuracy"]


def _check(H, y, n_classes=None):
    H = np.asarray(H, float)
    y = np.asarray(y)
    if H.ndim != 2:
        raise ValueError(f"features must be a 2-d array (samples, dim), got shape {H.shape}")
    if len(H) != len(y):
        raise ValueError(f"features and labels must have the same length, got {len(H)} and {len(y)}")
    classes, y_idx = np.unique(y, return_inverse=True)
    if n_classes is not None and len(classes) != n_classes:
        raise ValueError(f"every one of the {n_classes} classes needs samples; labels present: {len(classes)}")
    if len(classes) < 2:
        raise ValueError("need at least 2 classes with samples")
    return H, y_idx, len(classes)


def _check_fine(H, coarse, fine):
    """``_check`` on the coarse labels, plus fine labels of the same length."""
    H, coarse_idx, _ = _check(H, coarse)
    fine = np.asarray(fine)
    if len(fine) != len(H):
        raise ValueError(f"fine labels and features must have the same length, got {len(fine)} and {len(H)}")
    return H, coarse_idx, fine


def class_statistics(H, y, n_classes: int | None = None) -> dict[str, np.ndarray]:
    """Class means (C, p), global mean, centred means, ``Sigma_W``, ``Sigma_B`` and per-class variances."""
    H, y, C = _check(H, y, n_classes)
    mu = np.stack([H[y == c].mean(axis=0) for c in range(C)])
    mu_G = mu.mean(axis=0)
    Mt = mu - mu_G
    R = H - mu[y]
    var = np.array([np.mean(np.sum(R[y == c] ** 2, axis=1)) for c in range(C)])
    return {"means": mu, "global_mean": mu_G, "centred": Mt, "Sigma_W": R.T @ R / len(H), "Sigma_B": Mt.T @ Mt / C,
            "var": var, "labels": y}


def nc1(H, y, n_classes: int | None = None) -> float:
    """``(1/C) tr(Sigma_W Sigma_B^+)``."""
    s = class_statistics(H, y, n_classes)
    C = len(s["means"])
    return float(np.trace(s["Sigma_W"] @ np.linalg.pinv(s["Sigma_B"], rcond=1e-10, hermitian=True)) / C)


def nc2(H, y, n_classes: int | None = None) -> dict[str, float | np.ndarray]:
    """Equinorm spread, centred-mean cosines (off-diagonal), their mean, and the ETF error."""
    s = class_statistics(H, y, n_classes)
    Mt = s["centred"]
    C = len(Mt)
    norms = np.linalg.norm(Mt, axis=1)
    cos = (Mt @ Mt.T) / np.outer(norms, norms)
    off = cos[~np.eye(C, dtype=bool)]
    G = Mt @ Mt.T
    etf = (np.eye(C) - 1.0 / C) / np.sqrt(C - 1)
    return {"equinorm": float(norms.std() / norms.mean()), "cosines": off, "mean_cosine": float(off.mean()),
            "etf_error": float(np.linalg.norm(G / np.linalg.norm(G) - etf))}


def nc3(H, y, W, n_classes: int | None = None) -> float:
    """Self-duality ``|| W/||W||_F - M~/||M~||_F ||_F^2`` (``W`` rows = classes, in label order)."""
    Mt = class_statistics(H, y, n_classes)["centred"]
    W = np.asarray(W, float)
    if W.shape != Mt.shape:
        raise ValueError(f"W must have shape (classes, dim) = {Mt.shape}, got {W.shape}")
    return float(np.sum((W / np.linalg.norm(W) - Mt / np.linalg.norm(Mt)) ** 2))


def nc4(H, y, logits, n_classes: int | None = None) -> float:
    """Fraction of samples where ``argmax logits`` differs from the nearest class mean (label order)."""
    s = class_statistics(H, y, n_classes)
    H = np.asarray(H, float)
    logits = np.asarray(logits, float)
    if len(logits) != len(H):
        raise ValueError(f"logits and features must have the same length, got {len(logits)} and {len(H)}")
    nearest = np.argmin(((H[:, None, :] - s["means"][None]) ** 2).sum(-1), axis=1)
    return float(np.mean(np.argmax(logits, axis=1) != nearest))


def cdnv(H, y, n_classes: int | None = None) -> np.ndarray:
    """Class-distance normalised variance for every pair (C, C), zero diagonal."""
    s = class_statistics(H, y, n_classes)
    mu, var = s["means"], s["var"]
    d2 = ((mu[:, None] - mu[None]) ** 2).sum(-1)
    out = (var[:, None] + var[None]) / (2 * np.where(d2 > 0, d2, np.inf))
    np.fill_diagonal(out, 0.0)
    return out


def fine_clustering_accuracy(H, coarse, fine, *, rng=0, n_init: int = 5) -> float:
    """k-means with k = (fine classes in that coarse class) inside each coarse class, Hungarian-matched.

    Returns the fraction of samples whose matched cluster is their fine class.  k-means is
    scikit-learn's ``KMeans`` (k-means++ starts, Lloyd iterations, the best of ``n_init``
    starts by inertia): the reference implementation the neural-collapse literature uses.
    Each coarse class's seed is keyed by its first sample, not its label, so relabelling
    the coarse classes cannot change the result.
    """
    from sklearn.cluster import KMeans

    H, coarse_idx, fine = _check_fine(H, coarse, fine)
    check_int("n_init", n_init)
    base = int(as_generator(rng).integers(2**62))
    correct = 0
    for c in np.unique(coarse_idx):
        m = coarse_idx == c
        seed = int(np.random.default_rng([base, int(np.flatnonzero(m)[0])]).integers(2**31 - 1))
        X, f = H[m], np.unique(fine[m], return_inverse=True)[1]
        k = int(f.max()) + 1
        if k == 1:
            correct += m.sum()
            continue
        if len(X) < k:
            raise ValueError(f"k-means needs at least k = {k} samples in coarse class {c}, got {len(X)}")
        lab = KMeans(n_clusters=k, n_init=n_init, random_state=seed, algorithm="lloyd").fit_predict(X)
        table = np.zeros((k, k))
        np.add.at(table, (lab, f), 1)
        r, col = linear_sum_assignment(-table)
        correct += table[r, col].sum()
    return float(correct / len(H))


def fine_variance_ratio(H, coarse, fine) -> float:
    """``tr Sigma_W^fine / tr Sigma_B^{fine|coarse}``: within-fine spread over between-fine spread inside coarse."""
    H, coarse_idx, fine = _check_fine(H, coarse, fine)
    within = between = 0.0
    for c in np.unique(coarse_idx):
        Xc, fc = H[coarse_idx == c], fine[coarse_idx == c]
        mc = Xc.mean(axis=0)
        for f in np.unique(fc):
            Xf = Xc[fc == f]
            mf = Xf.mean(axis=0)
            within += np.sum((Xf - mf) ** 2)
            between += len(Xf) * np.sum((mf - mc) ** 2)
    return float(within / between) if between > 0 else np.inf


def linear_probe_accuracy(H_train, y_train, H_test, y_test, *, ridge: float = 1e-3) -> float:
    """Test accuracy of a ridge-regression one-hot classifier (with bias) fitted on the training features."""
    H_train, yi, C = _check(H_train, y_train)
    classes = np.unique(np.asarray(y_train))
    H_test = np.asarray(H_test, float)
    if len(H_test) != len(y_test):
        raise ValueError(f"test features and labels must have the same length, got {len(H_test)} and {len(y_test)}")
    X = np.c_[H_train, np.ones(len(H_train))]
    Y = np.eye(C)[yi]
    Wt = np.linalg.solve(X.T @ X + ridge * len(X) * np.eye(X.shape[1]), X.T @ Y)
    pred = classes[np.argmax(np.c_[H_test, np.ones(len(H_test))] @ Wt, axis=1)]
    return float(np.mean(pred == np.asarray(y_test)))
