r"""A small causal transformer, from scratch, that exposes its residual stream.

Pre-LayerNorm blocks (multi-head causal self-attention + GELU MLP; ``d_mlp=0``
leaves the MLP out) on token embeddings.  ``ov="identity"`` makes every head a
*copying* head: no value or output projection (W_OV = I), so each head adds the
attention-weighted mean of the normalised stream in its own slice of the
coordinates -- the neighbour-mixing mechanism of Park et al. (ICLR 2025).
Position enters in one of two ways:

* ``position="shift"`` (default): no positional embedding; each block's attention
  keys also see the *previous* token's normalised residual (a one-step token shift,
  as in RWKV and "smeared keys").  An induction head -- attend to earlier positions
  whose previous token equals the current one and copy what stands there -- is then
  a single attention layer, and since nothing depends on absolute position the
  model runs at context lengths longer than it was trained on;
* ``position="learned"``: learned absolute positional embeddings up to ``max_len``.

``forward(tokens, return_hidden=True)`` also returns the residual stream after the
embedding and after every block: ``(n_layers + 1, B, T, d_model)``.  Initial
weights come from a seeded ``torch.Generator``; the global RNG is never touched.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from theorylab._validate import check_choice, check_int
from theorylab.device import resolve_device, resolve_dtype

__all__ = ["CausalTransformer"]


class _Block(nn.Module):
    def __init__(self, d: int, n_heads: int, d_mlp: int, shift: bool, copy: bool = False):
        super().__init__()
        self.n_heads, self.shift = n_heads, shift
        self.ln1 = nn.LayerNorm(d)
        self.q, self.k = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
        # copy: values and output are the identity (W_OV = I), each head moving its own slice of the stream
        self.v, self.o = (nn.Identity(), nn.Identity()) if copy else (nn.Linear(d, d, bias=False),
                                                                      nn.Linear(d, d, bias=False))
        self.k_prev = nn.Linear(d, d, bias=False) if shift else None
        self.ln2 = nn.LayerNorm(d) if d_mlp else None
        self.mlp = nn.Sequential(nn.Linear(d, d_mlp), nn.GELU(), nn.Linear(d_mlp, d)) if d_mlp else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, d = x.shape
        h = self.ln1(x)
        k = self.k(h)
        if self.shift:
            prev = torch.cat([torch.zeros_like(h[:, :1]), h[:, :-1]], dim=1)
            k = k + self.k_prev(prev)
        split = lambda z: z.view(B, T, self.n_heads, d // self.n_heads).transpose(1, 2)  # noqa: E731
        att = nn.functional.scaled_dot_product_attention(split(self.q(h)), split(k), split(self.v(h)),
                                                         is_causal=True)
        x = x + self.o(att.transpose(1, 2).reshape(B, T, d))
        return x if self.mlp is None else x + self.mlp(self.ln2(x))


class CausalTransformer(nn.Module):
    """Decoder-only transformer over ``vocab_size`` tokens.

    Parameters
    ----------
    vocab_size, d_model, n_layers, n_heads : int >= 1 (``d_model`` divisible by ``n_heads``)
    d_mlp : hidden width of each MLP (default ``4 d_model``; 0: attention-only blocks)
    position : "shift" or "learned" (see module doc);  max_len : for "learned"
    tie_embeddings : share the token embedding with the output layer (so what the model predicts
        and what it reads live in one space)
    ov : "learned" (value and output projections) or "identity" (copying heads, see module doc)
    embed_init : "normal" (N(0, 1) entries) or "orthogonal" (orthogonal rows of norm sqrt(d_model);
        needs ``vocab_size <= d_model``)
    seed : initialisation seed
    """

    def __init__(self, vocab_size: int, d_model: int = 64, n_layers: int = 2, n_heads: int = 4, *,
                 d_mlp: int | None = None, position: str = "shift", max_len: int = 1024, tie_embeddings: bool = False,
                 ov: str = "learned", embed_init: str = "normal",
                 seed: int = 0, dtype="float32", device=None):
        super().__init__()
        self.vocab_size = check_int("vocab_size", vocab_size)
        d = check_int("d_model", d_model)
        check_int("n_layers", n_layers)
        check_int("n_heads", n_heads)
        if d % n_heads:
            raise ValueError(f"d_model ({d}) must be divisible by n_heads ({n_heads})")
        check_choice("position", position, ("shift", "learned"))
        check_choice("ov", ov, ("learned", "identity"))
        check_choice("embed_init", embed_init, ("normal", "orthogonal"))
        if embed_init == "orthogonal" and vocab_size > d_model:
            raise ValueError(f"embed_init='orthogonal' needs vocab_size <= d_model, got {vocab_size} > {d_model}")
        self.position, self.max_len = position, check_int("max_len", max_len)
        with torch.random.fork_rng(devices=[]):         # module constructors draw from the global RNG: undo it
            self.embed = nn.Embedding(vocab_size, d)
            self.pos = nn.Embedding(max_len, d) if position == "learned" else None
            d_mlp = 4 * d if d_mlp is None else check_int("d_mlp", d_mlp, minimum=0)
            self.blocks = nn.ModuleList(_Block(d, n_heads, d_mlp, position == "shift", ov == "identity")
                                        for _ in range(n_layers))
            self.ln_f = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab_size, bias=False)
        # every weight from the seeded generator: embeddings N(0, 1), matrices N(0, 1/fan_in), biases 0
        g = torch.Generator().manual_seed(int(seed))
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name == "embed.weight" and embed_init == "orthogonal":     # orthogonal rows of norm sqrt(d)
                    q, _ = torch.linalg.qr(torch.randn(p.shape[1], p.shape[0], generator=g, dtype=torch.float64))
                    p.copy_(q.T * math.sqrt(p.shape[1]))
                elif name.startswith(("embed", "pos")):
                    p.copy_(torch.randn(p.shape, generator=g))
                elif p.dim() == 2:
                    p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
                elif "ln" not in name:
                    p.zero_()
            if tie_embeddings:                            # logits = h . E: unembedding = embedding (as in GPT-2)
                self.head.weight = self.embed.weight
        self.to(device=resolve_device(device), dtype=resolve_dtype(dtype))

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def forward(self, tokens: torch.Tensor, return_hidden: bool = False):
        """Logits (B, T, vocab) and, with ``return_hidden``, the residual stream (n_layers + 1, B, T, d)."""
        tokens = torch.as_tensor(tokens, device=self.device)
        T = tokens.shape[1]
        x = self.embed(tokens)
        if self.pos is not None:
            if T > self.max_len:
                raise ValueError(f"sequence length {T} exceeds max_len {self.max_len}")
            x = x + self.pos(torch.arange(T, device=self.device))
        hidden = [x]
        for block in self.blocks:
            x = block(x)
            hidden.append(x)
        logits = self.head(self.ln_f(x))
        return (logits, torch.stack(hidden)) if return_hidden else logits
