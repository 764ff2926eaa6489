"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 10: the failure case, a minor entry stalls the weak concept.

See :mod:`._multi_descent`; ``mu = (0.7, 1.7, 3)``, ``d = 3``.  Checks the OOD
loss left when training is done instead of a count of descents, and the
authors' plateau: from their init the weak concept's rate ``a_1^2 = 0.028`` is so
small that the OOD loss still sits at 3-4% of its start at paper time 100 (with
their recurrence, which also leaves the PSD cone there, and with its ``eta -> 0``
limit); with the equations' rates ``a_1 = 0.17`` every concept is learnt.
"""
from theorylab.figures import Figure

from ._multi_descent import checks_for, deviations, draw_for, settings

TITLE = "SIM Fig. 10: failure case"

FIGURE = Figure(
    "sim_fig10", TITLE, "arXiv:2410.08309, Fig. 10", settings((0.7, 1.7, 3.0), 3, lr=0.0025),
    studies=lambda s: {"descent": s}, draw=draw_for(TITLE), quick_seconds=6, deviations=deviations,
    checks=checks_for(None, gd_constant=4.0, gd_measured="1.2-2.9 lr (a_max = 3: larger than in Figs. 8-9)",
                      claim="Fig. 10: a minor entry grows so large that the weak concept stalls and the OOD loss "
                            "plateaus above 0 (here: still >= 1% of L(0) at the end of the authors' run)"),
    setup="symmetric two-layer linear theory, mu = (0.7, 1.7, 3), sigma = 0.05, a_k = mu_k^2/3 + sigma^2; U0 = "
          "torch.rand(3, 3)/10 after seeding 233333; the authors' recurrence (W-space Euler, rates A^2, float32) "
          "with eta = 0.01 for 10000 steps (paper time 100)",
)
