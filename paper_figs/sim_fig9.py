"""SIM (Yang et al. ICLR 2025) Fig. 9: quadruple descent of the OOD loss with four concepts.

Symmetric two-layer linear theory (U-space, rates A) over trained ``U U^T``
networks from the same inits; a panel with the authors' A^2 rates.  See
``paper_figs/_sim.py`` for conventions.
"""
from theorylab.figures import figure_maker

from ._sim import make_multi_descent

ID = "sim_fig9"
TITLE = "SIM Fig. 9: quadruple descent (4 concepts)"
SETTINGS = {
    "smoke": dict(mu=(1.0, 1.5, 2.2, 2.7), sigma=0.05, d=4, scale=0.2, seeds=2, t_paper=30.0, lr=0.02, n_rec=151),
    "quick": dict(mu=(1.0, 1.5, 2.2, 2.7), sigma=0.05, d=4, scale=0.2, seeds=16, t_paper=60.0, lr=0.005, n_rec=601),
    "full": dict(mu=(1.0, 1.5, 2.2, 2.7), sigma=0.05, d=4, scale=0.2, seeds=24, t_paper=100.0, lr=0.005, n_rec=1001),
}


@figure_maker(SETTINGS)
def make(out_dir, p, cache, mode):
    return make_multi_descent(ID, TITLE, p, out_dir, cache, mode, expect=3)
