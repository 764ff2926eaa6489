"""The small transformer and the in-context graph-tracing probes."""
import numpy as np
import pytest
import torch

from theorylab.incontext import (class_means, lr_factor, representation_geometry, rule_following_accuracy,
                                 train_on_walks)
from theorylab.nets import CausalTransformer
from theorylab.solvers.graph_spectral import bigram_accuracy_exact
from theorylab.tasks.graph_walks import WalkCorpusConfig, adjacency, grid_graph, make_walk_batch, ring_graph


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


def test_learning_rate_schedules():
    steps = 1000
    const = np.array([lr_factor(s, steps, "constant") for s in range(steps)])
    cos = np.array([lr_factor(s, steps, "cosine") for s in range(steps + 1)])
    np.testing.assert_allclose(const[:100], np.arange(1, 101) / 100)          # linear warm-up
    assert np.all(const[100:] == 1)
    assert cos[-1] == pytest.approx(0, abs=1e-15) and cos[steps // 2] == pytest.approx(0.5)
    assert np.all(np.diff(cos[100:]) < 0)                                     # decreasing after the warm-up
    cfg = WalkCorpusConfig(ring_graph(5), 8, 17)
    with pytest.raises(ValueError, match="schedule"):
        train_on_walks(CausalTransformer(8, 8, 1, 2, seed=0), cfg, steps=3, batch=2, schedule="linear")


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


def test_training_lowers_the_loss_and_probes_run():
    cfg = WalkCorpusConfig(ring_graph(6), vocab_size=10, length=33)
    model = CausalTransformer(10, 16, 1, 2, seed=0)
    tr = train_on_walks(model, cfg, steps=120, batch=8, lr=1e-2, rng=0, record_every=40)
    assert tr["loss"][-1] < tr["loss"][0] - 0.3               # from ~log(10) toward the in-context optimum
    geo = representation_geometry(model, cfg, [32], window=30, n_seqs=3, length=32)
    assert geo["overlap"].shape == (2, 1) and np.all((geo["overlap"] >= 0) & (geo["overlap"] <= 1))
    b1, b2 = make_walk_batch(cfg, 4, rng=5), make_walk_batch(cfg, 4, rng=5)
    assert np.array_equal(b1.tokens, b2.tokens)
