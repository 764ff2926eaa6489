"""Symbolic checks (sympy) of the closed forms used by the solvers."""
import sympy as sp

from theorylab.solvers import deep_linear


def _symbols():
    return sp.symbols("t s u0 tau lam", positive=True)


def test_whitened_saxe_solution_solves_its_ode():
    t, s, u0, tau, _ = _symbols()
    u = s * sp.exp(2 * s * t / tau) / (sp.exp(2 * s * t / tau) - 1 + s / u0)
    assert sp.simplify(tau * sp.diff(u, t) - 2 * u * (s - u)) == 0
    assert sp.simplify(u.subs(t, 0) - u0) == 0


def test_codiagonal_saxe_solution_solves_its_ode():
    t, s, u0, tau, lam = _symbols()
    u = (s / lam) * sp.exp(2 * s * t / tau) / (sp.exp(2 * s * t / tau) - 1 + s / (lam * u0))
    assert sp.simplify(tau * sp.diff(u, t) - 2 * u * (s - lam * u)) == 0
    assert sp.simplify(u.subs(t, 0) - u0) == 0
    # the overflow-safe form implemented by saxe_mode is the same function
    safe = (s / lam) / (1 + (s / (lam * u0) - 1) * sp.exp(-2 * s * t / tau))
    assert sp.simplify(u - safe) == 0


def test_learning_time_formula_inverts_the_solution():
    t, s, u0, tau, lam = _symbols()
    uf = sp.symbols("u_f", positive=True)
    u = (s / lam) / (1 + (s / (lam * u0) - 1) * sp.exp(-2 * s * t / tau))
    t_learn = tau / (2 * s) * sp.log(uf * (s - lam * u0) / (u0 * (s - lam * uf)))
    assert sp.simplify(u.subs(t, t_learn) - uf) == 0


def test_numeric_implementation_matches_symbolic_formula():
    t, s, u0, tau, lam = _symbols()
    u = (s / lam) * sp.exp(2 * s * t / tau) / (sp.exp(2 * s * t / tau) - 1 + s / (lam * u0))
    f = sp.lambdify((t, s, u0, tau, lam), u, "numpy")
    vals = dict(s=1.7, u0=0.03, tau=0.8, lam=0.6)
    for tt in (0.0, 0.3, 1.1, 2.5):
        got = deep_linear.saxe_mode(tt, vals["s"], vals["u0"], tau=vals["tau"], lam=vals["lam"])
        assert abs(got - f(tt, *vals.values())) <= 1e-12 * abs(got)


def test_deep_chain_equation_at_depth_2_is_the_two_layer_equation():
    u, s, D = sp.symbols("u s D", positive=True)
    rhs = D * u ** (2 - 2 / D) * (s - u)
    assert sp.simplify(rhs.subs(D, 2) - 2 * u * (s - u)) == 0
