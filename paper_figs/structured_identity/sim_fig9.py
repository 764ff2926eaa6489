"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 9: quadruple descent of the OOD loss with four concepts.

See :mod:`._multi_descent`; ``mu = (1, 1.5, 2.2, 2.7)``, ``d = 4``.
"""
from theorylab.figures import Figure

from ._multi_descent import checks_for, deviations, draw_for, settings

TITLE = "SIM Fig. 9: quadruple descent (4 concepts)"

FIGURE = Figure(
    "sim_fig9", TITLE, "arXiv:2410.08309, Fig. 9", settings((1.0, 1.5, 2.2, 2.7), 4),
    studies=lambda s: {"descent": s}, draw=draw_for(TITLE), quick_seconds=5, deviations=deviations,
    checks=checks_for(3, "Fig. 9: four concepts give a quadruple descent (three rises) of the OOD loss"),
    setup="symmetric two-layer linear theory, 4 concepts mu = (1, 1.5, 2.2, 2.7), sigma = 0.05, a_k = mu_k^2/4 + "
          "sigma^2; U0 = torch.rand(4, 4)/10 after seeding 233333; the authors' recurrence (W-space Euler, rates A^2, "
          "float32) with eta = 0.01 for 10000 steps (paper time 100)",
)
