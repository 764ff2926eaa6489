"""Theory solvers: closed forms, ODEs and random-matrix integrals.

Submodules
----------
deep_linear    Saxe mode solutions, deep chain, Braun 2022 Riccati form
riccati        the zero-balanced two-layer closed form (re-exported by deep_linear)
random_matrix  Advani-Saxe train/test error from Marchenko-Pastur integrals
elastic        locally elastic ODEs/SDEs: rates, closed forms, estimators, SDE simulator
graph_spectral Laplacian spectra, Dirichlet energy, heat flow, in-context bigram predictor
kernel         kernel (NTK) gradient flow for train and test
sim            structured identity mapping: one-layer and symmetric two-layer dynamics
coarse_linear  two-layer linear nets on coarse labels: coarse separation, surviving fine structure
committee      exact (w_bar, M) dynamics of the quadratic committee machine, its population limit (grokking)
dmft           DMFT: two-layer linear closed form, two-layer particle solver, deep linear kernel iteration
"""
from . import coarse_linear, committee, deep_linear, dmft, elastic, graph_spectral, kernel, random_matrix, riccati, sim

__all__ = ["coarse_linear", "committee", "deep_linear", "dmft", "elastic", "graph_spectral", "kernel", "random_matrix", "riccati", "sim"]
