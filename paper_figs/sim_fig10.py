"""SIM (Yang et al. ICLR 2025) Fig. 10: the failure case, a minor entry stalls the weak concept.

Symmetric two-layer linear theory (U-space, rates A) over trained ``U U^T``
networks from the same inits; a panel with the authors' A^2 rates.  See
``paper_figs/_sim.py`` for conventions.
"""
from theorylab.figures import figure_maker

from ._sim import make_multi_descent

ID = "sim_fig10"
TITLE = "SIM Fig. 10: failure case"
SETTINGS = {
    "smoke": dict(mu=(0.7, 1.7, 3.0), sigma=0.05, d=3, scale=0.2, seeds=2, t_paper=30.0, lr=0.02, n_rec=151),
    "quick": dict(mu=(0.7, 1.7, 3.0), sigma=0.05, d=3, scale=0.2, seeds=6, t_paper=60.0, lr=0.005, n_rec=601),
    "full": dict(mu=(0.7, 1.7, 3.0), sigma=0.05, d=3, scale=0.2, seeds=24, t_paper=100.0, lr=0.005, n_rec=1001),
}


@figure_maker(SETTINGS)
def make(out_dir, p, cache, mode):
    return make_multi_descent(ID, TITLE, p, out_dir, cache, mode, expect=None)
