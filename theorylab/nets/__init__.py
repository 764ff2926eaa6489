"""Finite networks held as ensembles (member axis first) for batched training."""
from .committee import COMMITTEE_ACTIVATIONS, CommitteeMachine
from .ensemble import Ensemble
from .init import INITS, haar_isometry, init_weights
from .linear import DeepLinear
from .mlp import ACTIVATIONS, MLP
from .ntk import empirical_ntk
from .symmetric import SymmetricLinear

__all__ = ["ACTIVATIONS", "COMMITTEE_ACTIVATIONS", "CommitteeMachine", "INITS", "DeepLinear", "Ensemble", "MLP", "SymmetricLinear", "empirical_ntk", "haar_isometry", "init_weights"]
