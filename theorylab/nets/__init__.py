"""Finite networks held as ensembles (member axis first) for batched training."""
from .ensemble import Ensemble
from .init import INITS, haar_isometry, init_weights
from .linear import DeepLinear
from .mlp import ACTIVATIONS, MLP

__all__ = ["ACTIVATIONS", "INITS", "DeepLinear", "Ensemble", "MLP", "haar_isometry", "init_weights"]
