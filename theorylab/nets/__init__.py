"""Finite networks held as ensembles (member axis first) for batched training."""
from .committee import COMMITTEE_ACTIVATIONS, CommitteeMachine
from .ensemble import Ensemble
from .init import INITS, haar_isometry, init_weights
from .deepmf import MeanFieldMLP
from .lenet import LeNet
from .linear import DeepLinear
from .mlp import ACTIVATIONS, MLP
from .ntk import (Linearised, centred_alignment, cone_angle, effective_rank, empirical_ntk, empirical_ntk_loop,
                  kernel_angle, kernel_cosine, kernel_distance, kernel_summaries, kernel_velocity, ntk_observable)
from .symmetric import SymmetricLinear
from .transformer import CausalTransformer
from .twolayer import TwoLayerMF

__all__ = ["ACTIVATIONS", "COMMITTEE_ACTIVATIONS", "CausalTransformer", "CommitteeMachine", "INITS", "DeepLinear", "Ensemble", "LeNet", "MLP", "MeanFieldMLP", "SymmetricLinear", "TwoLayerMF", "empirical_ntk", "haar_isometry", "init_weights"]
__all__ += ["Linearised", "centred_alignment", "cone_angle", "effective_rank", "empirical_ntk_loop", "kernel_angle",
            "kernel_cosine", "kernel_distance", "kernel_summaries", "kernel_velocity", "ntk_observable"]
