r"""Exact dynamics of the quadratic-activation committee machine, for any width.

Kumar, Bordelon, Gershman & Pehlevan, ICLR 2024 (arXiv:2310.06110).  The
network ``f(x) = (alpha/N) sum_i phi(w_i . x)`` with ``phi(h) = h + (eps/2) h^2``
and unit readouts is a function of two order parameters only:

.. math:: f(x) = \alpha \bar w \cdot x + \frac{\alpha\epsilon}{2} x^T M x,\qquad
          \bar w = \frac1N \sum_i w_i,\quad M = \frac1N \sum_i w_i w_i^T .

Loss and time conventions: ``L = (1/P) sum_mu Delta_mu^2`` (``MEAN_SQ``) with residuals
``Delta = f~ - y`` (``f~ = f - f_0`` when centred), full-batch GD with step
``eta`` (the paper's ``eta = eta0 N / alpha^2``).  The gradient for neuron ``i``
is ``(2 alpha / N)(g + eps G w_i)`` with ``g = (1/P) sum Delta x``,
``G = (1/P) sum Delta x x^T``, so with ``c = 2 eta alpha / N``,
``A = I - c eps G``:

.. math:: \bar w \leftarrow A \bar w - c g,\qquad
          M \leftarrow A M A^T - c (A \bar w g^T + g \bar w^T A^T) + c^2 g g^T .

This closure (derived here, not stated in the paper) is exact for any ``N``
and ``P``.  Iterated on ``M`` itself it is exact only in exact arithmetic: ``M``
has rank ``<= N``, and round-off in its null space grows geometrically wherever
``A`` expands (at the paper's Fig. 4 setting, ``N = 2``, the map left per-neuron GD
by step 8k and overflowed near 18k).  The map is therefore iterated as a
congruence on the augmented matrix

.. math:: Z = \begin{pmatrix} M & \bar w \\ \bar w^T & 1 \end{pmatrix}
          = \frac1N \sum_i \binom{w_i}{1}\binom{w_i}{1}^T, \qquad
          Z \leftarrow T Z T^T,\quad T = \begin{pmatrix} A & -c g \\ 0 & 1 \end{pmatrix},

held as ``Z = F S F^T`` with ``F`` of shape ``(D + 1, r)``, ``r = rank Z <= min(N, D + 1)``,
``S`` a diagonal of signs, and updated as ``F <- T F``: the rank, the signature and
the last entry 1 of ``Z`` are kept exactly, so the null space of ``M`` cannot fill
with round-off.  Residuals use ``x^T M x = sum_k S_k (x . F_k)^2``; a step costs
``O(P D r)``, independent of ``N``.  ``F`` comes from the network's neuron weights
(:meth:`CommitteeState.from_network`) or, for a state given as ``(w_bar, M)``, from
the eigendecomposition of ``Z``.

Population test loss for ``y = 1/2 (beta . x)^2``, ``x ~ N(0, I/D)`` (eq. 6),
with ``a = alpha (w_bar - w_bar_0)`` and ``Q = (alpha eps (M - M_0) - beta beta^T)/2``
(centred; drop the ``_0`` terms otherwise):

.. math:: L = \underbrace{(\mathrm{Tr}Q / D)^2}_{\text{variance}}
          + \underbrace{2 \|Q\|_F^2 / D^2}_{\text{misalignment}}
          + \underbrace{|a|^2 / D}_{\text{power in linear modes}},

the Gaussian-moment derivation being checked in sympy by the tests.

Clocks (every returned :class:`~theorylab.Trajectory` carries one)
------------------------------------------------------------------
* GD at one step size ``eta`` (:func:`exact_gd` with ``eta=``, :func:`exact_gd_batch`
  with ``etas=``): ``t`` counts epochs (one full-batch GD step each) on
  ``Clock.steps(eta, MEAN_SQ)``, i.e. gradient flow of ``L`` at ``t_gf = eta * epoch``.
  Runs of one batch with different ``eta`` share the epoch count, not a gradient-flow
  time of ``L``: each trajectory carries its own clock.
* The paper's scaling ``eta = eta0 N / alpha^2`` (``eta0=``; :func:`population_limit`;
  :func:`lazy_gd_trajectory`): GD at ``eta`` on ``L`` is GD at ``eta0`` on
  ``L~ = (N / alpha^2) L`` (:data:`SCALED_LOSS`), so every run, whatever its ``alpha``
  and ``N``, is on :func:`epoch_clock` ``(eta0)``: ``t`` = epoch, gradient flow of
  ``L~`` at ``tau = eta0 * epoch`` (the time of :func:`population_limit_flow`).
* :func:`exact_flow`: gradient-flow time of ``L`` (``Clock.gradient_flow(MEAN_SQ)``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab._validate import check_int, check_nonnegative, check_positive, check_shape
from theorylab.clock import HALF_MEAN, MEAN_SQ, Clock
from theorylab.progress import bar as progress_bar
from theorylab.threads import for_work, limited
from theorylab.trajectory import Trajectory

from ._ode import solve_at

__all__ = ["CommitteeState", "outputs", "exact_gd", "exact_flow", "population_test_loss", "ntk", "initial_ntk",
           "lazy_gd", "lazy_gd_trajectory", "kernel_alignment", "exact_gd_batch", "population_limit",
           "population_limit_flow", "SCALED_LOSS", "epoch_clock", "step_clock", "network_epochs"]

#: The grokking paper's loss scaling: GD at ``eta = eta0 N / alpha^2`` on ``L = (1/P) sum (f - y)^2``
#: is GD at ``eta0`` on this loss (its ``P -> inf`` limit is the population loss).
SCALED_LOSS = "L~ = (N / alpha^2) (1/P) sum_mu (f(x_mu) - y_mu)^2 (Kumar et al. 2024: eta = eta0 N / alpha^2 on L)"


def epoch_clock(eta0: float) -> Clock:
    """Epochs of full-batch GD at the paper's ``eta = eta0 N / alpha^2``: gradient flow of
    :data:`SCALED_LOSS` at ``tau = eta0 * epoch``, one clock for every ``alpha`` and ``N``."""
    check_positive("eta0", eta0)
    return Clock.rescaled(1.0 / float(eta0), SCALED_LOSS, symbol="epoch",
                          unit=f"GD step at eta = eta0 N / alpha^2, eta0 = {float(eta0):g}")


def step_clock(eta: float) -> Clock:
    """Epochs of full-batch GD at step ``eta`` on ``L = (1/P) sum (f - y)^2``: ``t_gf = eta * epoch``."""
    check_positive("eta", eta)
    return Clock.steps(eta, MEAN_SQ, unit="full-batch GD step", symbol="epoch")


def network_epochs(traj: Trajectory, *, eta0: float | None = None, N: int | None = None,
                   alpha: float | None = None) -> Trajectory:
    """A trained committee machine's run, recorded in GD steps, on the exact map's clock.

    ``traj`` comes from ``train(net, x, y[:, None], TrainConfig(lr=eta, reduction="mse",
    time="steps"))`` with one output: torch's ``mse_loss`` is ``L = (1/P) sum (f - y)^2``,
    and the trainer states its steps on the 1/2-mean loss, ``Clock.steps(2 eta, HALF_MEAN)``
    (checked here).  One step of ``2 eta`` on ``L/2`` is one step of ``eta`` on ``L``
    (:func:`step_clock`), and one step of ``eta0`` on ``L~ = (N / alpha^2) L`` when
    ``eta = eta0 N / alpha^2`` (:func:`epoch_clock`; give ``eta0``, ``N`` and ``alpha``,
    checked against the run's step): the same step counts, restated on the exact map's clock.
    """
    c = traj.clock
    if c is None or c.loss != HALF_MEAN or c.symbol != "step":
        raise ValueError("traj must be recorded in GD steps on the 1/2-mean loss (train with reduction='mse', "
                         f"time='steps', one output), got clock {c.describe() if c else None!r}")
    eta = c.scale / 2.0
    if eta0 is None:
        clock = step_clock(eta)
    else:
        if N is None or alpha is None:
            raise ValueError("eta0 needs the network's N and alpha (eta = eta0 N / alpha^2)")
        if not np.isclose(eta, eta0 * N / alpha**2, rtol=1e-12, atol=0.0):
            raise ValueError(f"the run took steps of lr = {eta:.6g}, not eta0 N / alpha^2 = {eta0 * N / alpha**2:.6g}")
        clock = epoch_clock(eta0)
    return Trajectory(traj.t, traj.obs, {**traj.meta, "trained_clock": c.describe(), "eta": eta}, traj.n_seeds,
                      clock)


@dataclass(frozen=True)
class CommitteeState:
    """Order parameters at initialisation and the model's constants."""

    wbar0: np.ndarray          # (D,)
    M0: np.ndarray             # (D, D)
    alpha: float
    eps: float
    N: int
    centered: bool = True
    W0: np.ndarray | None = None   # (N, D) neuron weights, when known: the exact factor of Z

    def __post_init__(self) -> None:
        check_positive("alpha", self.alpha)
        check_int("N", self.N)
        D = np.shape(self.wbar0)[0]
        check_shape("M0", self.M0, (D, D))
        if self.W0 is not None:
            check_shape("W0", self.W0, (self.N, D))
            W = np.asarray(self.W0, float)
            scale = max(1.0, float(np.abs(self.M0).max()))
            if not (np.allclose(W.mean(0), self.wbar0, rtol=1e-10, atol=1e-12 * scale)
                    and np.allclose(W.T @ W / self.N, self.M0, rtol=1e-10, atol=1e-12 * scale)):
                raise ValueError("W0 does not give wbar0 = mean(W0) and M0 = W0^T W0 / N: pass W0=None when the "
                                 "order parameters are set on their own (e.g. moved toward a solution)")

    def factor(self) -> tuple[np.ndarray, np.ndarray]:
        """``(F, S)`` with ``Z = F diag(S) F^T`` (see the module docstring), ``F`` of shape ``(D + 1, r)``."""
        D = np.shape(self.wbar0)[0]
        if self.W0 is not None:
            aug = np.hstack([np.asarray(self.W0, float), np.ones((self.N, 1))]) / np.sqrt(self.N)   # (N, D + 1)
            if self.N <= D + 1:
                return aug.T.copy(), np.ones(self.N)
            R = np.linalg.qr(aug, mode="r")                                     # Z = aug^T aug = R^T R
            return R.T.copy(), np.ones(D + 1)
        Z = np.zeros((D + 1, D + 1))
        Z[:D, :D] = self.M0
        Z[:D, D] = Z[D, :D] = self.wbar0
        Z[D, D] = 1.0
        lam, V = np.linalg.eigh(0.5 * (Z + Z.T))
        keep = np.abs(lam) > (D + 1) * 1e2 * np.finfo(float).eps * np.abs(lam).max()
        return V[:, keep] * np.sqrt(np.abs(lam[keep])), np.sign(lam[keep])

    @classmethod
    def from_network(cls, net, member: int = 0) -> "CommitteeState":
        """The state of member ``member`` of a :class:`~theorylab.nets.CommitteeMachine`.

        Raises ``ValueError`` for what the exact closure does not cover: an
        activation other than ``"quadratic"`` or trained readouts.
        """
        if net.activation != "quadratic":
            raise ValueError(f"activation must be 'quadratic' for the exact (w_bar, M) dynamics, got "
                             f"{net.activation!r}")
        if net.v.requires_grad:
            raise ValueError("train_readout must be False for the exact (w_bar, M) dynamics")
        w0, M0 = net.initial_order_parameters()
        W0 = net.W0[member].detach().cpu().double().numpy()
        return cls(w0[member], M0[member], net.alpha, net.eps, net.N, net.centered, W0)


def outputs(x: np.ndarray, wbar: np.ndarray, M: np.ndarray, st: CommitteeState) -> np.ndarray:
    """Network outputs ``f~(x)`` (centred if ``st.centered``) at inputs ``x`` (n, D)."""
    dw, dM = (wbar - st.wbar0, M - st.M0) if st.centered else (wbar, M)
    return st.alpha * x @ dw + 0.5 * st.alpha * st.eps * np.sum((x @ dM) * x, axis=1)   # BLAS, not einsum


def population_test_loss(wbar, M, beta, st: CommitteeState) -> dict[str, np.ndarray]:
    """Exact test loss for ``y = 1/2 (beta . x)^2`` and its three terms (batched over leading axes)."""
    D = beta.size
    dw, dM = (wbar - st.wbar0, M - st.M0) if st.centered else (wbar, M)
    a = st.alpha * dw
    Q = 0.5 * (st.alpha * st.eps * dM - np.outer(beta, beta))
    variance = (np.trace(Q, axis1=-2, axis2=-1) / D) ** 2
    misalignment = 2 * np.sum(Q**2, axis=(-2, -1)) / D**2
    linear = np.sum(a**2, axis=-1) / D
    return {"test_loss": variance + misalignment + linear, "variance": variance, "misalignment": misalignment,
            "linear_power": linear}


def _grads(X, y, wbar, M, st):
    delta = outputs(X, wbar, M, st) - y
    P = X.shape[0]
    g = X.T @ delta / P
    G = (X * delta[:, None]).T @ X / P
    return delta, g, G


def exact_gd(X, y, st: CommitteeState, *, eta: float | None = None, eta0: float | None = None, steps: int,
             record_every: int = 1, X_test=None, y_test=None, beta=None) -> Trajectory:
    """Iterate the exact (w_bar, M) map for ``steps`` GD steps of size ``eta`` (or ``eta0 N / alpha^2``).

    Records ``train_loss`` ``(1/P) sum Delta^2``, ``test_loss`` on ``(X_test, y_test)``
    when given, and the population loss and its terms (``pop_*``) when the
    teacher ``beta`` of ``y = 1/2 (beta . x)^2`` is given.  ``t`` counts epochs
    (GD steps): on :func:`step_clock` ``(eta)``, or :func:`epoch_clock` ``(eta0)``
    when ``eta0`` is given instead of ``eta``.
    """
    return exact_gd_batch(X, y, [st], etas=None if eta is None else [eta], eta0=eta0, steps=steps,
                          record_every=record_every, X_test=X_test, y_test=y_test, beta=beta)[0]


def exact_gd_batch(X, y, states, *, etas=None, eta0: float | None = None, steps: int, record_every: int = 1,
                   X_test=None, y_test=None, beta=None, progress: bool | None = None,
                   stop_when: tuple[float, float] | None = None, order_parameters: bool = True) -> list[Trajectory]:
    """:func:`exact_gd` for many states (any ``alpha``, ``eps``, ``N``, init, centring) on one data set at once.

    The B maps advance together as batched matrix products: a whole (alpha, eps) grid
    costs little more per step than one run.  Give either ``etas``, one step size per
    state, or ``eta0``, the paper's scaling ``eta = eta0 N / alpha^2`` for every state.
    ``y`` (and ``y_test``) may be ``(P,)``, shared, or ``(B, P)``, one label vector per
    state.  Returns one :class:`Trajectory` per state, ``t`` in epochs (GD steps).

    Clocks: the runs of a batch share their epoch count.  With ``etas`` each run is
    on its own :func:`step_clock` ``(eta_b)`` (runs with different ``eta`` are *not*
    at one gradient-flow time of ``L`` after the same number of epochs); with
    ``eta0`` every run is on the one :func:`epoch_clock` ``(eta0)``.

    Bookkeeping for long sweeps:

    * ``stop_when = (f_train, f_test)``: a state stops at the first record where its
      train loss is at most ``f_train`` times its start and its population test loss
      (``beta`` required) at most ``f_test`` times its start -- once the times a phase
      diagram needs are known -- and leaves the batch, so the others run faster; its
      trajectory ends there.
    * ``order_parameters=False``: ``wbar`` and ``M`` are not kept (``M`` is D x D per
      record: 10 GB for a paper-size phase diagram); losses are computed at each record.

    ``progress``: a progress bar (None: in a terminal or notebook for runs of 5000 steps or more).
    """
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    states = list(states)
    if (etas is None) == (eta0 is None):
        raise ValueError("give exactly one of etas (step sizes) and eta0 (eta = eta0 N / alpha^2)")
    if not states:
        raise ValueError("states must hold at least one CommitteeState")
    if eta0 is not None:
        check_positive("eta0", eta0)
        etas = [eta0 * st.N / st.alpha**2 for st in states]
    etas = np.broadcast_to(np.asarray(etas, float), (len(states),))
    for e in etas:
        check_positive("eta", e)
    steps = check_int("steps", steps, minimum=0)
    record_every = check_int("record_every", record_every)
    P, D = X.shape
    for st in states:
        check_shape("wbar0", st.wbar0, (D,))
    if y.ndim == 2:
        check_shape("y", y, (len(states), P))
    else:
        check_shape("y", y, (P,))
    if stop_when is not None:
        if beta is None:
            raise ValueError("stop_when needs the teacher beta (it watches the population test loss)")
        if len(stop_when) != 2 or not all(0 < float(f) < 1 for f in stop_when):
            raise ValueError(f"stop_when must be two fractions in (0, 1), got {stop_when!r}")
    B = len(states)
    alpha = np.array([st.alpha for st in states])[:, None]
    eps = np.array([st.eps for st in states])[:, None]
    c = (2 * etas * alpha[:, 0] / np.array([st.N for st in states]))[:, None, None]
    # Z = F diag(S) F^T per state, padded to a common rank with zero columns (which stay zero)
    factors = [st.factor() for st in states]
    r = max(f.shape[1] for f, _ in factors)
    F = np.zeros((B, D + 1, r))
    S = np.zeros((B, r))
    for b, (f, sg) in enumerate(factors):
        F[b, :, : f.shape[1]] = f
        S[b, : sg.size] = sg
    FD, last = F[:, :D, :], F[:, D, :]                     # last row: constant under the map
    Sl = S * last                                           # w_bar = FD @ Sl
    cen = np.array([float(st.centered) for st in states])[:, None]

    def linear_quadratic(XF, Sl, S):
        """``x . w_bar`` and ``x^T M x`` for every state and row of X, from ``XF = X F_D`` (B, P, r)."""
        return (XF @ Sl[:, :, None])[:, :, 0], np.einsum("bpr,br,bpr->bp", XF, S, XF)

    lin, quad = linear_quadratic(np.matmul(X, FD), Sl, S)
    lin_ref, quad_ref = cen * lin, cen * quad               # the initial function, subtracted when centred
    test_ref = None
    if X_test is not None:
        X_test = np.asarray(X_test, float)
        y_test = np.asarray(y_test, float)
        lt, qt = linear_quadratic(np.matmul(X_test, FD), Sl, S)
        test_ref = (cen * lt, cen * qt)
    beta_v = None if beta is None else np.asarray(beta, float).ravel()
    rec = [dict(t=[], train_loss=[], wbar=[], M=[], test_loss=[], pop=[]) for _ in range(B)]
    active = np.arange(B)                                   # original indices of the states still running
    y_act = y
    err = np.seterr(over="ignore", invalid="ignore")           # divergence is detected and reported below
    pin = limited(for_work(B * P * D * r))                     # small work: one BLAS thread (theorylab.threads)
    pin.__enter__()
    bar = progress_bar(steps, desc="exact (w_bar, M) map", show=progress)
    try:
        for n in range(steps + 1):
            XF = np.matmul(X, FD)                                                   # (B, P, r)
            lin, quad = linear_quadratic(XF, Sl, S)
            delta = alpha * (lin - lin_ref) + 0.5 * alpha * eps * (quad - quad_ref) - y_act   # (B, P)
            if n % record_every == 0 or n == steps:
                done = _record(n, active, rec, delta, FD, S, Sl, states, order_parameters, X_test, y_test,
                               test_ref, beta_v, stop_when, linear_quadratic)
                if done.any():                                # finished states leave the batch
                    keep = ~done
                    active, FD, last, S, Sl = active[keep], FD[keep], last[keep], S[keep], Sl[keep]
                    alpha, eps, c, lin_ref, quad_ref = alpha[keep], eps[keep], c[keep], lin_ref[keep], quad_ref[keep]
                    XF, delta = XF[keep], delta[keep]
                    if y_act.ndim == 2:
                        y_act = y_act[keep]
                    if X_test is not None:
                        test_ref = (test_ref[0][keep], test_ref[1][keep])
                    if not active.size:
                        break
            if n == steps:
                break
            if not np.all(np.isfinite(delta)):
                bad = int(active[np.flatnonzero(~np.all(np.isfinite(delta), axis=1))[0]])
                raise FloatingPointError(f"the exact map diverged at step {n} for state {bad} (eta = "
                                         f"{etas[bad]:.4g}): gradient descent at this step size is unstable; lower eta")
            g = delta @ X / P                                                       # (B, D)
            GF = np.matmul(X.T[None], delta[:, :, None] * XF) / P                  # G F_D without forming G
            cg = c[:, :, 0] * g
            FD = FD - c * eps[:, :, None] * GF - cg[:, :, None] * last[:, None, :]   # F_D <- A F_D - c g (last row)
            if n % 256 == 0:
                bar.update(min(256, steps - bar.n))
    finally:
        bar.close()
        np.seterr(**err)
        pin.__exit__(None, None, None)
    out = []
    for b, st in enumerate(states):
        R = rec[b]
        obs = {"train_loss": np.asarray(R["train_loss"])}
        if order_parameters:
            obs["wbar"], obs["M"] = np.asarray(R["wbar"]), np.asarray(R["M"])
        if X_test is not None:
            obs["test_loss"] = np.asarray(R["test_loss"])
        if beta_v is not None:
            obs.update({f"pop_{k}": np.asarray([p[k] for p in R["pop"]]) for k in R["pop"][0]})
        clock = epoch_clock(eta0) if eta0 is not None else step_clock(float(etas[b]))
        meta = {"solver": "exact_gd", "eta": float(etas[b]), "alpha": st.alpha, "eps": st.eps, "N": st.N,
                "centered": st.centered, "stopped_early": bool(stop_when is not None and R["t"][-1] < steps)}
        out.append(Trajectory(np.asarray(R["t"], float), obs, meta, clock=clock))
    return out


def _record(n, active, rec, delta, FD, S, Sl, states, order_parameters, X_test, y_test, test_ref, beta,
            stop_when, linear_quadratic) -> np.ndarray:
    """Append step ``n``'s record of every active state; return which of them are done (``stop_when``)."""
    wbar = np.einsum("bdr,br->bd", FD, Sl)
    M = np.matmul(FD * S[:, None, :], FD.transpose(0, 2, 1))
    train = np.mean(delta**2, axis=1)
    if X_test is not None:
        lt, qt = linear_quadratic(np.matmul(X_test, FD), Sl, S)
    done = np.zeros(active.size, bool)
    for i, b in enumerate(active):
        st, R = states[b], rec[b]
        R["t"].append(n)
        R["train_loss"].append(train[i])
        if order_parameters:
            R["wbar"].append(wbar[i])
            R["M"].append(M[i])
        if X_test is not None:
            yt = y_test[b] if y_test.ndim == 2 else y_test
            f = st.alpha * (lt[i] - test_ref[0][i]) + 0.5 * st.alpha * st.eps * (qt[i] - test_ref[1][i])
            R["test_loss"].append(np.mean((f - yt) ** 2))
        if beta is not None:
            R["pop"].append({k: float(v) for k, v in population_test_loss(wbar[i], M[i], beta, st).items()})
        if stop_when is not None and len(R["t"]) > 1:
            done[i] = (R["train_loss"][-1] <= stop_when[0] * R["train_loss"][0]
                       and R["pop"][-1]["test_loss"] <= stop_when[1] * R["pop"][0]["test_loss"])
    return done


def exact_flow(t, X, y, st: CommitteeState, *, X_test=None, y_test=None, beta=None,
               rtol: float = 1e-9, atol: float = 1e-11) -> Trajectory:
    r"""Gradient-flow limit (``eta -> 0``, ``t = eta * step``) of :func:`exact_gd`:

    .. math:: \dot{\bar w} = -\tfrac{2\alpha}{N}(g + \epsilon G \bar w),\quad
              \dot M = -\tfrac{2\alpha}{N}\,[g \bar w^T + \bar w g^T + \epsilon (G M + M G)].

    Clock: gradient flow of ``L = (1/P) sum (f - y)^2`` (an :func:`exact_gd` run converts
    onto it with ``traj.on_clock``).
    """
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    D = X.shape[1]
    t = np.atleast_1d(np.asarray(t, float))
    k = 2 * st.alpha / st.N

    def rhs(_, s):
        wbar, M = s[:D], s[D:].reshape(D, D)
        _, g, G = _grads(X, y, wbar, M, st)
        dw = -k * (g + st.eps * G @ wbar)
        dM = -k * (np.outer(g, wbar) + np.outer(wbar, g) + st.eps * (G @ M + M @ G))
        return np.concatenate([dw, dM.ravel()])

    s0 = np.concatenate([st.wbar0, np.asarray(st.M0).ravel()])
    sol = solve_at(rhs, s0, t, name="exact_flow", rtol=rtol, atol=atol, method="DOP853")
    wbar = sol[:, :D]
    M = sol[:, D:].reshape(-1, D, D)
    train = np.array([np.mean((outputs(X, w, m, st) - y) ** 2) for w, m in zip(wbar, M)])
    return _finish(t, {"train_loss": train, "wbar": wbar, "M": M}, st, X_test, y_test, beta,
                   {"solver": "exact_flow"}, Clock.gradient_flow(MEAN_SQ))


def _finish(t, obs, st, X_test, y_test, beta, meta, clock: Clock) -> Trajectory:
    if X_test is not None:
        X_test = np.asarray(X_test, float)
        obs["test_loss"] = np.array([np.mean((outputs(X_test, w, m, st) - y_test) ** 2)
                                     for w, m in zip(obs["wbar"], obs["M"])])
    if beta is not None:
        pop = population_test_loss(obs["wbar"], obs["M"], np.asarray(beta, float).ravel(), st)
        obs.update({f"pop_{k}": v for k, v in pop.items()})
    return Trajectory(t, obs, {**meta, "alpha": st.alpha, "eps": st.eps, "N": st.N, "centered": st.centered},
                      clock=clock)


def ntk(X1, X2, wbar, M, st: CommitteeState) -> np.ndarray:
    r"""The network's NTK at order parameters ``(w_bar, M)``, without its factor ``alpha^2 / N``:

    .. math:: \bar K(x, x') = (x \cdot x')\,[1 + \epsilon \bar w \cdot (x + x') + \epsilon^2 x^T M x'],

    from ``sum_i phi'(w_i . x) phi'(w_i . x') x . x'`` with ``phi' = 1 + eps h``: like the
    predictor, the kernel is a function of ``(w_bar, M)`` only, so it is known exactly all along training.
    """
    X1, X2 = np.asarray(X1, float), np.asarray(X2, float)
    dot = X1 @ X2.T
    return dot * (1.0 + st.eps * ((X1 @ wbar)[:, None] + (X2 @ wbar)[None, :]) + st.eps**2 * (X1 @ M @ X2.T))


def initial_ntk(X1, X2, st: CommitteeState) -> np.ndarray:
    r"""Initial NTK without its factor ``alpha^2 / N`` (:func:`ntk` at ``(w_bar_0, M_0)``).

    With the paper's ``eta = eta0 N / alpha^2`` the linearised GD step on
    ``(1/P) sum Delta^2`` is ``f <- f - (2 eta0 / P) K_bar Delta``: independent of ``alpha``.
    """
    return ntk(X1, X2, st.wbar0, st.M0, st)


def lazy_gd(X, y, st: CommitteeState, *, eta0: float, X_test=None):
    """The linearised (lazy, ``alpha -> inf``) model under GD with ``eta = eta0 N / alpha^2``.

    A :class:`~theorylab.solvers.kernel.KernelGD` on the initial NTK with the
    centred start ``f_0 = 0``: ``f_train = [I - (I - 2 eta0 K_bar / P)^m] y`` after ``m``
    steps; evaluate it at ``t = 2 eta0 m`` (the kernel step is ``lr = 2 eta0``).
    Its ``train_loss`` is the 1/2-mean loss, so ``2 x`` it is ``(1/P) sum Delta^2``.
    """
    from .kernel import kernel_gd

    X = np.asarray(X, float)
    K = initial_ntk(X, X, st)
    K_test = None if X_test is None else initial_ntk(X_test, X, st)
    # (2 eta0 / P) K_bar = lr * K / n with n = P and lr = 2 eta0 on the mean reduction
    return kernel_gd(K, y, None, lr=2.0 * eta0, K_test=K_test, reduction="mean")


def lazy_gd_trajectory(X, y, st: CommitteeState, *, eta0: float, epochs, X_test=None, y_test=None) -> Trajectory:
    """:func:`lazy_gd` at whole ``epochs``, on the paper's :func:`epoch_clock` ``(eta0)``.

    Epoch ``m`` of the linearised model is ``m`` kernel GD steps (``f <- f - (2 eta0 / P)
    K_bar Delta``), which is GD at ``eta0`` on ``L~ = (N / alpha^2) (1/P) sum Delta^2`` of the
    linearised network: the clock of :func:`exact_gd_batch` with ``eta0``.  Records
    ``train_loss`` and (with a test set) ``test_loss``, both ``(1/n) sum (f - y)^2``
    (twice the kernel solver's 1/2-mean losses).
    """
    epochs = np.asarray(epochs)
    if epochs.ndim != 1 or np.any(epochs < 0) or np.any(epochs != np.rint(epochs)):
        raise ValueError("epochs must be a 1-D array of whole numbers >= 0")
    lazy = lazy_gd(X, y, st, eta0=eta0, X_test=X_test)
    t_kernel = lazy.lr * epochs.astype(float)          # KernelGD's own time: lr x steps
    obs = {"train_loss": 2.0 * lazy.train_loss(t_kernel)}
    if X_test is not None:
        obs["test_loss"] = 2.0 * lazy.test_loss(t_kernel, y_test)
    return Trajectory(epochs.astype(float), obs, {"solver": "lazy_gd", "eta0": float(eta0), "eps": st.eps},
                      clock=epoch_clock(eta0))


def kernel_alignment(K: np.ndarray, y: np.ndarray) -> float:
    r"""Centred kernel alignment ``y^T K y / (||K||_F ||y||^2)`` with ``K`` and ``y`` centred."""
    n = K.shape[0]
    H = np.eye(n) - 1.0 / n
    Kc = H @ K @ H
    yc = H @ np.asarray(y, float).ravel()
    return float(yc @ Kc @ yc / (np.linalg.norm(Kc) * (yc @ yc)))


def _population_terms(m_perp, m_par, *, D, alpha, eps, beta_norm2, init_var, centered):
    """Eigenvalues of ``Q`` and the population loss for ``M = m_perp (I - u u^T) + m_par u u^T``."""
    ref = init_var if centered else 0.0
    q_perp = 0.5 * alpha * eps * (m_perp - ref)
    q_par = 0.5 * (alpha * eps * (m_par - ref) - beta_norm2)
    tr = (D - 1) * q_perp + q_par
    variance = (tr / D) ** 2
    misalignment = 2 * ((D - 1) * q_perp**2 + q_par**2) / D**2
    return q_perp, q_par, tr, variance, misalignment


def _check_population(D, alpha, eps, beta_norm2, init_var):
    check_int("D", D)
    check_positive("alpha", alpha)
    check_positive("eps", eps)
    check_positive("beta_norm2", beta_norm2)
    check_positive("init_var", init_var)


def population_limit(steps: int, *, D: int, alpha: float, eps: float, eta0: float, beta_norm2: float | None = None,
                     init_var: float = 1.0, centered: bool = True, record_every: int = 1) -> Trajectory:
    r"""The population (``P -> inf``), infinite-width limit of :func:`exact_gd`: two scalars.

    With ``w_bar_0 = 0`` and ``M_0 = sigma^2 I`` (``w_i ~ N(0, sigma^2 I)``, ``N -> inf``), the
    population gradient of ``L = E (f~ - y)^2`` keeps ``w_bar = 0`` (the residual is even in
    ``x``) and ``G = E[Delta x x^T] = (Tr Q I + 2 Q) / D^2`` (Gaussian fourth moments), so
    ``M`` stays in span{I, u u^T}, ``u = beta / |beta|``:
    ``M = m_perp (I - u u^T) + m_par u u^T`` and one GD step (``c = 2 eta alpha / N = 2 eta0 / alpha``) is

    .. math:: m_\perp \leftarrow (1 - c\epsilon G_\perp)^2 m_\perp,\quad
              m_\parallel \leftarrow (1 - c\epsilon G_\parallel)^2 m_\parallel,\quad
              G_{\perp,\parallel} = (\mathrm{Tr}Q + 2 q_{\perp,\parallel}) / D^2,

    with ``q_perp = alpha eps (m_perp - sigma^2) / 2``, ``q_par = (alpha eps (m_par - sigma^2) - |beta|^2) / 2``
    (no ``sigma^2`` when not centred).  Train loss = test loss = ``(Tr Q / D)^2 + 2 ||Q||_F^2 / D^2``:
    with fresh data at every step there is no grokking (Kumar et al. 2024, Sec. 5).

    ``beta_norm2`` defaults to ``D`` (``beta ~ N(0, I_D)``).  ``t`` = step (epoch) on
    :func:`epoch_clock` ``(eta0)``.
    """
    beta_norm2 = float(D if beta_norm2 is None else beta_norm2)
    _check_population(D, alpha, eps, beta_norm2, init_var)
    check_positive("eta0", eta0)
    steps = check_int("steps", steps, minimum=0)
    record_every = check_int("record_every", record_every)
    c = 2 * eta0 / alpha
    mp, mq = float(init_var), float(init_var)
    rec = []
    for n in range(steps + 1):
        qp, qq, tr, _, _ = _population_terms(mp, mq, D=D, alpha=alpha, eps=eps, beta_norm2=beta_norm2,
                                             init_var=init_var, centered=centered)
        if n % record_every == 0 or n == steps:
            rec.append((n, mp, mq))
        if n == steps:
            break
        mp *= (1 - c * eps * (tr + 2 * qp) / D**2) ** 2
        mq *= (1 - c * eps * (tr + 2 * qq) / D**2) ** 2
    n, mp, mq = (np.array(v) for v in zip(*rec))
    return _population_trajectory(n.astype(float), mp, mq, D, alpha, eps, beta_norm2, init_var, centered,
                                  {"solver": "population_limit", "eta0": eta0}, epoch_clock(eta0))


def population_limit_flow(t, *, D: int, alpha: float, eps: float, beta_norm2: float | None = None,
                          init_var: float = 1.0, centered: bool = True) -> Trajectory:
    r"""Gradient-flow limit of :func:`population_limit` in ``tau = eta0 * step``:

    .. math:: \dot m_{\perp,\parallel} = -\frac{4\epsilon}{\alpha}\, G_{\perp,\parallel}\, m_{\perp,\parallel} .

    Clock: gradient flow of :data:`SCALED_LOSS` (``tau``); a :func:`population_limit` run
    converts onto it with ``traj.on_clock``.
    """
    beta_norm2 = float(D if beta_norm2 is None else beta_norm2)
    _check_population(D, alpha, eps, beta_norm2, init_var)
    t = np.atleast_1d(np.asarray(t, float))
    check_nonnegative("t", t)

    def rhs(_, m):
        qp, qq, tr, _, _ = _population_terms(m[0], m[1], D=D, alpha=alpha, eps=eps, beta_norm2=beta_norm2,
                                             init_var=init_var, centered=centered)
        return -(4 * eps / alpha) * np.array([(tr + 2 * qp) * m[0], (tr + 2 * qq) * m[1]]) / D**2

    m = solve_at(rhs, [init_var, init_var], t, name="population_limit_flow", rtol=1e-10, atol=1e-12,
                 method="DOP853")
    return _population_trajectory(t, m[:, 0], m[:, 1], D, alpha, eps, beta_norm2, init_var, centered,
                                  {"solver": "population_limit_flow"},
                                  Clock.gradient_flow(SCALED_LOSS, unit="tau = eta0 x epoch"))


def _population_trajectory(t, mp, mq, D, alpha, eps, beta_norm2, init_var, centered, meta, clock) -> Trajectory:
    _, _, _, var, mis = _population_terms(mp, mq, D=D, alpha=alpha, eps=eps, beta_norm2=beta_norm2,
                                          init_var=init_var, centered=centered)
    obs = {"m_perp": mp, "m_par": mq, "test_loss": var + mis, "variance": var, "misalignment": mis,
           "linear_power": np.zeros_like(mp)}
    return Trajectory(t, obs, {**meta, "D": D, "alpha": alpha, "eps": eps, "beta_norm2": beta_norm2,
                               "init_var": init_var, "centered": centered}, clock=clock)
