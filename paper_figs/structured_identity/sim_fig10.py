"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 10: the failure case, a minor entry stalls the weak concept.

See :mod:`._multi_descent`; ``mu = (0.7, 1.7, 3)``, ``d = 3``.  Checks the OOD
loss left when training is done instead of a count of descents.
"""
from theorylab.figures import Figure

from ._multi_descent import checks_for, deviations, draw_for, settings

TITLE = "SIM Fig. 10: failure case"

FIGURE = Figure(
    "sim_fig10", TITLE, "arXiv:2410.08309, Fig. 10", settings((0.7, 1.7, 3.0), 3),
    studies=lambda s: {"descent": s}, draw=draw_for(TITLE), quick_seconds=5, deviations=deviations,
    checks=checks_for(None),
    setup="symmetric two-layer linear theory, mu = (0.7, 1.7, 3), init torch.rand(d, d)/10, the authors' A^2 "
          "recurrence",
)
