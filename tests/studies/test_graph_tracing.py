"""Graph tracing (Park et al., ICLR 2025): the small transformer, the probes, the training loop and the studies."""
import dataclasses

import numpy as np
import pytest
import torch

from theorylab.clock import ClockMismatch
from theorylab.nets import CausalTransformer
from theorylab.rng import as_generator
from theorylab.solvers.graph_spectral import bigram_accuracy_exact, connection_length_mc
from theorylab.studies.graph_tracing import (CONTEXT, PAIRS, BayesPredictor, GraphSpec, HeatFlow, Percolation,
                                             first_context, heat_gap_clock)
from theorylab.studies.graph_tracing_models import (ContextAccuracy, ContextGeometry, PriorBehaviour, PriorGeometry,
                                                    WalkTraining, trained_model)
from theorylab.studies.graph_tracing_probes import class_means, representation_geometry, rule_following_accuracy
from theorylab.tasks.graph_walks import WalkCorpusConfig, adjacency, grid_graph, make_walk_batch, ring_graph
from theorylab.threads import limited

STUDIES = (HeatFlow, BayesPredictor, Percolation, WalkTraining, ContextAccuracy, ContextGeometry, PriorBehaviour,
           PriorGeometry)


def test_every_study_of_the_family_is_tested_here():
    import theorylab.studies as studies

    family = {c for c in studies.registered_studies().values() if c.family == "graph_tracing"}
    assert family == set(STUDIES)


def test_transformer_is_seeded_causal_and_leaves_the_global_rng_alone():
    state = torch.get_rng_state()
    a, b = CausalTransformer(20, 16, 2, 2, seed=3), CausalTransformer(20, 16, 2, 2, seed=3)
    assert torch.equal(state, torch.get_rng_state())
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    tok = torch.as_tensor(np.random.default_rng(0).integers(20, size=(2, 12)))
    logits, hidden = a(tok, return_hidden=True)
    assert logits.shape == (2, 12, 20) and hidden.shape == (3, 2, 12, 16)
    tok2 = tok.clone()
    tok2[:, 8:] = (tok2[:, 8:] + 1) % 20                   # change the future only
    assert torch.allclose(a(tok2)[:, :8], logits[:, :8], atol=1e-6)
    assert not torch.allclose(a(tok2)[:, 8:], logits[:, 8:])
    with pytest.raises(ValueError, match="divisible"):
        CausalTransformer(20, 10, 1, 4)


def test_copying_attention_adds_a_combination_of_normalised_inputs_in_the_same_coordinates():
    m = CausalTransformer(12, 32, 1, 4, d_mlp=0, ov="identity", embed_init="orthogonal", seed=1, dtype="float64")
    E = m.embed.weight.detach()
    assert torch.allclose(E @ E.T, 32 * torch.eye(12, dtype=E.dtype), atol=1e-5)  # orthogonal rows (float32 init)
    tok = torch.as_tensor([[3, 5, 3, 7, 1, 5]])
    _, hidden = m(tok, return_hidden=True)
    blk = m.blocks[0]
    ln = blk.ln1(hidden[0, 0])                             # the values: normalised inputs, no projection
    update = hidden[1, 0] - hidden[0, 0]
    assert torch.allclose(update[0], ln[0], atol=1e-12)   # position 0 can only attend to itself
    # at every position, each head's 8-dim slice is a combination of the (at most 6) earlier values' slices
    for t in range(1, 6):
        for h in range(4):
            sl = slice(8 * h, 8 * h + 8)
            V, u = ln[: t + 1, sl].detach().numpy().T, update[t, sl].detach().numpy()
            w = np.linalg.lstsq(V, u, rcond=None)[0]
            np.testing.assert_allclose(V @ w, u, atol=1e-10)
    assert not any("mlp" in name for name, _ in m.named_parameters())
    with pytest.raises(ValueError, match="vocab_size <= d_model"):
        CausalTransformer(20, 16, 1, 4, embed_init="orthogonal")
    with pytest.raises(ValueError, match="ov"):
        CausalTransformer(12, 16, 1, 4, ov="copy")
    with pytest.raises(ValueError, match="d_mlp"):
        CausalTransformer(12, 16, 1, 4, d_mlp=-1)


def _reference_walk_loop(model, corpus, *, steps, batch, lr, seed):
    """The walk trainer that ``train()`` replaced: AdamW (0.9, 0.98), 100-step warm-up, cosine, fresh batches."""
    g = as_generator(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0, betas=(0.9, 0.98))
    factor = lambda s: min(1.0, (s + 1) / 100) * 0.5 * (1 + np.cos(np.pi * min(s, steps) / steps))  # noqa: E731
    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    losses = []
    for _ in range(steps):
        tokens = torch.as_tensor(make_walk_batch(corpus, batch, rng=g).tokens)
        logits = model(tokens[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
    return np.array(losses)


def test_train_reproduces_the_old_walk_trainer_bit_for_bit():
    tr = WalkTraining(graph=GraphSpec("grid", 3, 3), vocab=16, train_len=32, d_model=32, n_heads=4, steps=40, batch=4,
                      record_every=1, warmup_steps=100, schedule="cosine")
    trained_model.cache_clear()
    model, loss = trained_model(tr)
    ref = tr.network()
    with limited(1):                 # train() runs small models on one thread: bit-for-bit needs the same
        ref_loss = _reference_walk_loop(ref, tr.corpus(), steps=tr.steps, batch=tr.batch, lr=tr.lr,
                                        seed=tr.data_seed)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), ref.parameters()))
    assert loss.clock.base.startswith("AdamW step") and np.array_equal(loss.t, np.arange(1, tr.steps + 1))
    # the same losses, bit for bit (train() uses the fused mean cross-entropy and averages records in float64)
    np.testing.assert_array_equal(loss["loss"], ref_loss)


def test_walk_training_lowers_the_loss_and_the_probes_run():
    tr = WalkTraining(graph=GraphSpec("ring", 6), vocab=10, train_len=32, d_model=16, n_heads=2, ov="learned",
                      d_mlp=64, embed_init="normal", steps=120, batch=8, lr=1e-2, schedule="constant", record_every=40)
    model, loss = trained_model(tr)
    assert loss["loss"][-1] < loss["loss"][0] - 0.3               # from ~log(10) toward the in-context optimum
    cfg = WalkCorpusConfig(ring_graph(6), 10, 33)
    geo = representation_geometry(model, cfg, [32], window=30, n_seqs=3, length=32)
    assert geo["overlap"].shape == (2, 1) and np.all((geo["overlap"] >= 0) & (geo["overlap"] <= 1))
    b1, b2 = make_walk_batch(cfg, 4, rng=5), make_walk_batch(cfg, 4, rng=5)
    assert np.array_equal(b1.tokens, b2.tokens)


class _Oracle(torch.nn.Module):
    """Logits from the in-context ML bigram counts of each sequence (uniform when unseen)."""

    def __init__(self, vocab):
        super().__init__()
        self.vocab = vocab
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    @property
    def device(self):
        return self.dummy.device

    def forward(self, tokens):
        B, T = tokens.shape
        counts = torch.zeros(B, self.vocab, self.vocab)
        out = torch.empty(B, T, self.vocab)
        for t in range(T):
            cur = tokens[:, t]
            row = counts[torch.arange(B), cur]
            out[:, t] = torch.where(row.sum(1, keepdim=True) > 0, torch.log(row + 1e-30), torch.zeros_like(row))
            if t + 1 < T:
                counts[torch.arange(B), cur, tokens[:, t + 1]] += 1
        return out.double()


def test_accuracy_probe_of_the_ml_bigram_oracle_is_the_exact_curve():
    cfg = WalkCorpusConfig(grid_graph(3, 3), vocab_size=12, length=40)
    acc, se = rule_following_accuracy(_Oracle(12), cfg, 600, rng=0)
    exact = bigram_accuracy_exact(adjacency(grid_graph(3, 3)), 39)
    # the probe renormalises over the graph's tokens: for the oracle that is the exact definition
    se = np.maximum(se, np.sqrt(np.clip(1 - exact, 0, None) / 600))
    assert np.all(np.abs(acc - exact) <= 4.5 * se + 1e-9)


def test_class_means_and_window_checks():
    hidden = np.arange(10.0)[:, None] * np.ones((1, 2))
    nodes = np.array([0, 1, 0, 2, 1, 0, 2, 2, 1, 0])
    cm = class_means(hidden, nodes, 4, position=10, window=4)     # positions 6..9: nodes 2, 2, 1, 0
    assert np.allclose(cm[:3, 0], [9.0, 8.0, 6.5]) and np.isnan(cm[3]).all()
    with pytest.raises(ValueError, match="window"):
        class_means(hidden, nodes, 4, position=5, window=6)
    with pytest.raises(ValueError, match="position"):
        class_means(hidden, nodes, 4, position=11, window=2)
    # the authors' inclusive window [t - W, t] at token index t = position - 1: W + 1 tokens, cut at the start
    cm = class_means(hidden, nodes, 4, position=10, window=4, inclusive=True)   # positions 5..9: 0, 2, 2, 1, 0
    assert np.allclose(cm[:3, 0], [7.0, 8.0, 6.5]) and np.isnan(cm[3]).all()
    cm = class_means(hidden, nodes, 4, position=3, window=6, inclusive=True)    # positions 0..2
    assert np.allclose(cm[:2, 0], [1.0, 1.0]) and np.isnan(cm[2:]).all()


def test_class_means_pool_a_batch_of_walks():
    rng = np.random.default_rng(0)
    hidden, nodes = rng.normal(size=(3, 12, 2)), rng.integers(4, size=(3, 12))
    cm = class_means(hidden, nodes, 4, position=12, window=5)
    h, v = hidden[:, 7:].reshape(-1, 2), nodes[:, 7:].ravel()
    for k in range(4):
        if (v == k).any():
            assert np.allclose(cm[k], h[v == k].mean(axis=0))
        else:
            assert np.isnan(cm[k]).all()
    assert np.array_equal(class_means(hidden[1], nodes[1], 4, 12, 5), class_means(hidden[1:2], nodes[1:2], 4, 12, 5),
                          equal_nan=True)
    with pytest.raises(ValueError, match="must match"):
        class_means(hidden, nodes[:2], 4, position=12, window=5)


def test_batch_pooling_forms_the_energy_curve_at_the_authors_window():
    """W = 20 on a 4x4 grid: one walk's window rarely holds all 16 nodes; 16 walks pooled always do."""
    model = CausalTransformer(32, 32, 1, 4, d_mlp=0, ov="identity", embed_init="orthogonal", seed=0)
    cfg = WalkCorpusConfig(grid_graph(4, 4), vocab_size=32, length=60)
    kw = dict(window=20, n_seqs=16, rng=3, length=60, inclusive=True)
    per_seq = representation_geometry(model, cfg, [40, 60], pool="sequence", **kw)
    pooled = representation_geometry(model, cfg, [40, 60], pool="batch", energy="authors", **kw)
    assert np.isfinite(pooled["energy"]).all() and np.isfinite(pooled["overlap"]).all()
    summed = representation_geometry(model, cfg, [40, 60], pool="batch", energy="sum", **kw)
    assert np.allclose(summed["energy"], 2 * 32 * pooled["energy"])                  # "sum" = 2d x "authors"
    assert np.isnan(per_seq["energy"]).any() or np.isfinite(pooled["energy"]).all()
    with pytest.raises(ValueError, match="pool"):
        representation_geometry(model, cfg, [40], pool="labelling", **kw)


# ----------------------------------------------------------------------------- studies: contract and clocks
def _same(a, b):
    if a is None or b is None:
        return a is b
    return (np.array_equal(a.t, b.t) and a.clock == b.clock and a.names == b.names
            and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a.names))


@pytest.mark.parametrize("cls", STUDIES, ids=lambda c: c.__name__)
def test_example_is_deterministic_and_on_a_clock(cls):
    st = cls.example()
    trained_model.cache_clear()                            # retrain: the weights must come out the same
    r1 = st.run()
    trained_model.cache_clear()
    r2 = st.run()
    assert r1.theory is not None or r1.experiment is not None
    assert _same(r1.theory, r2.theory) and _same(r1.experiment, r2.experiment)
    for tr in (r1.theory, r1.experiment):
        assert tr is None or tr.clock is not None
    if r1.theory is not None and r1.experiment is not None:
        assert r1.theory.clock == r1.experiment.clock == CONTEXT
        shared = set(r1.theory.names) & set(r1.experiment.names)
        assert shared, "theory and experiment name the same quantity the same way"
        assert all(r1.theory[k].shape == r1.experiment[k].shape for k in shared)


def _changes(value):
    """Other valid-looking values of a field, to show the cache key follows it."""
    alt = {"identity": "learned", "learned": "identity", "orthogonal": "normal", "normal": "orthogonal",
           "cosine": "constant", "constant": "cosine", "cpu": "cuda", "grid": "hex", "ring": "grid", "hex": "grid",
           "batch": "sequence", "sequence": "batch", "authors": "sum", "sum": "authors"}
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1, 2 * value]
    if isinstance(value, float):
        return [value * 0.5, value * 0.5 + 0.01]
    if isinstance(value, str):
        return [alt[value]] if value in alt else []
    if isinstance(value, tuple):
        return [tuple(v * 0.99 for v in value), value[:-1] + (value[-1] + 1,), value[:-1] + (value[-1] - 1,)]
    if dataclasses.is_dataclass(value):
        out = []
        for f in dataclasses.fields(value):
            for c in _changes(getattr(value, f.name))[:1]:
                if _valid(lambda c=c: dataclasses.replace(value, **{f.name: c})):
                    out.append(dataclasses.replace(value, **{f.name: c}))
        return out
    return []


def _valid(build):
    try:
        build()
        return True
    except (TypeError, ValueError):
        return False


@pytest.mark.parametrize("cls", STUDIES, ids=lambda c: c.__name__)
def test_every_field_reaches_the_cache_key(cls):
    st = cls.example()
    key = st.key()
    for f in dataclasses.fields(st):
        old = getattr(st, f.name)
        changed = [c for c in _changes(old) if c != old and _valid(lambda c=c: st.replace(**{f.name: c}))]
        assert changed, f"no valid change of {cls.__name__}.{f.name} to test"
        assert st.replace(**{f.name: changed[0]}).key() != key, f"{cls.__name__}.{f.name} does not reach the key"


@pytest.mark.parametrize("cls, field, value", [
    (HeatFlow, "n_tau", 1), (BayesPredictor, "smoothing", -1.0), (Percolation, "n_trials", 0),
    (WalkTraining, "schedule", "linear"), (WalkTraining, "vocab", 3), (WalkTraining, "lr", 0.0),
    (ContextAccuracy, "length", 1), (ContextGeometry, "pool", "labelling"), (ContextGeometry, "positions", (14, 10)),
    (ContextGeometry, "energy_convention", "mean"),
    (PriorBehaviour, "length", 1), (PriorGeometry, "n_geo", 99)])
def test_bad_fields_are_refused_by_name(cls, field, value):
    with pytest.raises(ValueError, match=field):
        cls.example().replace(**{field: value})


def test_an_exclusive_window_must_fit_in_the_shortest_context():
    with pytest.raises(ValueError, match="window"):
        ContextGeometry.example().replace(inclusive=False, window=100)
    ContextGeometry.example().replace(window=100)            # inclusive: cut at the start of the sequence


def test_graph_spec_is_data_with_one_spelling_per_graph():
    assert GraphSpec("grid", 4, 4).n_nodes == 16 and GraphSpec("hex", 3, 3).n_nodes == 30
    assert GraphSpec("ring", 10) == GraphSpec("ring", 10, 7)         # n is unused for a ring
    assert GraphSpec("ring", 10).name == "ring 10" and GraphSpec("grid", 4, 4).name == "grid 4x4"
    with pytest.raises(ValueError, match="kind"):
        GraphSpec("torus", 3, 3)
    with pytest.raises(ValueError, match="m"):
        GraphSpec("ring", 2)
    with pytest.raises(ValueError, match="prior_fraction"):
        PriorBehaviour.example().replace(training=WalkTraining.example())


def test_clocks_convert_where_they_should_and_refuse_where_they_must_not():
    heat = HeatFlow.example().theory()
    gap = heat["gap"][0]
    np.testing.assert_allclose(heat.on_clock(heat_gap_clock(gap)).t, gap * heat.t, rtol=1e-15)
    loss = WalkTraining.example().experiment()
    acc = ContextAccuracy.example().experiment()
    with pytest.raises(ClockMismatch):
        acc.on_clock(loss.clock)                               # AdamW steps are not tokens of context
    with pytest.raises(ClockMismatch):
        acc.on_clock(PAIRS)                                    # nor are i.i.d. pairs
    assert first_context(ContextAccuracy.example().theory(), "accuracy", 2.0) == 12   # never: one past the end


def test_percolation_counts_tokens_for_walks_and_pairs_for_iid_edges():
    g = GraphSpec("ring", 6)
    walk, pairs = Percolation(g, walk=True, n_trials=50, seed=3), Percolation(g, walk=False, n_trials=50, seed=3)
    steps = connection_length_mc(g.adjacency(), 50, rng=3, walk=True)
    w = walk.experiment()
    assert w.clock == CONTEXT and pairs.experiment().clock == PAIRS
    assert first_context(w, "connected", 1.0) == steps.max() + 1        # t steps are t + 1 tokens
    assert first_context(w, "connected", 1e-9) == steps.min() + 1
    assert np.all(np.diff(w["connected"]) >= 0) and w["connected"][-1] == 1


def test_context_accuracy_compares_on_the_context_clock():
    from theorylab.compare import max_error
    from theorylab.testing import thresholds as tol

    r = ContextAccuracy.example().run()
    row = max_error(r.theory, r.experiment, "accuracy", relative=False,
                    threshold=tol.criterion(1.0, "accuracies lie in [0, 1]"))
    assert row.clock == CONTEXT.describe() and 0 <= row.value <= 1


def test_neighbour_code_overlap_is_read_off_the_unique_leading_pc():
    """On the 4x4 grid the second singular value of A E is four-fold degenerate: a top-2 plane would be LAPACK's
    choice (overlap anywhere in 0-0.46); the leading PC (the checkerboard mode) is unique and misses (z2, z3)."""
    h = HeatFlow(graph=GraphSpec("grid", 4, 4), n_tau=2).theory()
    assert h["overlap_neighbour_code"][0] < 1e-12
    assert h["overlap_mixing"][0] > 0.95
