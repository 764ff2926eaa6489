"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 8: triple descent of the OOD loss with three concepts.

See :mod:`._multi_descent`; ``mu = (1, 1.7, 2.25)``, ``d = 3``.
"""
from theorylab.figures import Figure

from ._multi_descent import checks_for, deviations, draw_for, settings

TITLE = "SIM Fig. 8: triple descent (3 concepts)"

FIGURE = Figure(
    "sim_fig8", TITLE, "arXiv:2410.08309, Fig. 8", settings((1.0, 1.7, 2.25), 3, noise_std=(0.5, 0.25, 0.25)),
    studies=lambda s: {"descent": s}, draw=draw_for(TITLE), quick_seconds=4, deviations=deviations,
    checks=checks_for(2, "Fig. 8: three concepts give a triple descent (two rises) of the OOD loss"),
    setup="symmetric two-layer linear theory, 3 concepts mu = (1, 1.7, 2.25), sigma = (0.5, 0.25, 0.25) (standard "
          "deviations), a_k = mu_k^2/3 + sigma_k^2; U0 = torch.rand(3, 3)/10 after seeding 233333; the authors' "
          "recurrence (W-space Euler, rates A^2, float32) with eta = 0.01 for 10000 steps (paper time 100)",
)
