"""The encoder-predictor-decoder networks of NAO, SemiNAS and EmProx (imports torch).

Imported only by :mod:`nasperf.predictors.model_based._seq2seq` once torch is known to be there.
The encoder follows NAO and EmProx: token embedding, a one-layer bidirectional LSTM, a linear map
back to the hidden size, a residual connection and L2 normalisation of every position; the mean
over positions, normalised again, is the architecture's embedding. The decoder is an LSTM
started from the embedding that attends over the encoder's outputs (teacher forcing while
training); the predictor is NAO's residual MLP on the embedding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

__all__ = ["EPD", "EPDSettings", "train_epd", "embed", "predict_values"]

_HALF = math.sqrt(0.5)


@dataclass(frozen=True)
class EPDSettings:
    """Training settings of one encoder-predictor-decoder."""

    epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    grad_bound: float
    trade_off: float  # weight of the performance loss; 1 - trade_off weighs reconstruction


class _Encoder(nn.Module):
    def __init__(self, vocab: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.dropout = dropout
        self.embedding = nn.Embedding(vocab, hidden)
        self.rnn = nn.LSTM(hidden, hidden, 1, batch_first=True, bidirectional=True)
        self.out_proj = nn.Linear(2 * hidden, hidden)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.dropout(self.embedding(x), self.dropout, training=self.training)
        out, _ = self.rnn(h)
        out = F.normalize(h + self.out_proj(out), p=2, dim=-1)
        return out, F.normalize(out.mean(dim=1), p=2, dim=-1)


class _Predictor(nn.Module):
    """NAO's performance predictor: a residual MLP on the embedding, then a linear output."""

    def __init__(self, hidden: int, layers: int, width: int, dropout: float) -> None:
        super().__init__()
        self.dropout = dropout
        sizes = [hidden] + [width] * (layers - 1) + [hidden]
        self.mlp = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:], strict=False))
        self.regressor = nn.Linear(hidden, 1)

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        x = emb
        for layer in self.mlp:
            x = F.dropout(F.relu(layer(x)), self.dropout, training=self.training)
        return self.regressor((emb + x) * _HALF).squeeze(-1)


class _Decoder(nn.Module):
    def __init__(self, vocab: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.dropout = dropout
        self.embedding = nn.Embedding(vocab, hidden)
        self.rnn = nn.LSTM(hidden, hidden, 1, batch_first=True)
        self.attn_in = nn.Linear(hidden, hidden, bias=False)
        self.attn_out = nn.Linear(2 * hidden, hidden, bias=False)
        self.out = nn.Linear(hidden, vocab)

    def forward(
        self, inputs: torch.Tensor, emb: torch.Tensor, source: torch.Tensor
    ) -> torch.Tensor:
        state = (emb.unsqueeze(0).contiguous(), emb.unsqueeze(0).contiguous())
        x = F.dropout(self.embedding(inputs), self.dropout, training=self.training)
        out, _ = self.rnn(x, state)
        x = (x + out) * _HALF
        scores = torch.bmm(self.attn_in(x), source.transpose(1, 2))
        mix = torch.bmm(torch.softmax(scores, dim=-1), source)
        attended = torch.tanh(self.attn_out(torch.cat([mix, x], dim=-1)))
        x = (x + attended) * _HALF
        return F.log_softmax(self.out(x), dim=-1)


class EPD(nn.Module):
    """Encoder, optional performance predictor and decoder over token sequences."""

    def __init__(
        self,
        vocab: int,
        hidden: int,
        dropout: float,
        mlp_layers: int = 2,
        mlp_width: int = 16,
        with_predictor: bool = True,
    ) -> None:
        super().__init__()
        self.encoder = _Encoder(vocab, hidden, dropout)
        self.decoder = _Decoder(vocab, hidden, dropout)
        self.predictor = (
            _Predictor(hidden, mlp_layers, mlp_width, dropout) if with_predictor else None
        )

    def losses(self, tokens: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
        """(predicted values or None, reconstruction NLL of ``tokens``)."""
        source, emb = self.encoder(tokens)
        start = torch.zeros_like(tokens[:, :1])  # token 0 starts the decoder
        log_probs = self.decoder(torch.cat([start, tokens[:, :-1]], dim=1), emb, source)
        nll = F.nll_loss(log_probs.reshape(-1, log_probs.shape[-1]), tokens.reshape(-1))
        values = self.predictor(emb) if self.predictor is not None else None
        return values, nll


def train_epd(
    model: EPD,
    tokens: np.ndarray,
    targets: np.ndarray | None,
    settings: EPDSettings,
    generator: torch.Generator,
) -> EPD:
    """Train ``model`` in place on ``tokens`` (and ``targets``, NaN where a sequence has none)
    with Adam, clipping the gradient norm at ``grad_bound``."""
    x = torch.as_tensor(tokens, dtype=torch.long)
    y = None if targets is None else torch.as_tensor(targets, dtype=torch.float32)
    opt = torch.optim.Adam(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    model.train()
    n = len(x)
    for _ in range(settings.epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, settings.batch_size):
            idx = order[start : start + settings.batch_size]
            values, nll = model.losses(x[idx])
            loss = nll
            if y is not None and values is not None:
                mse = F.mse_loss(values, y[idx])
                loss = settings.trade_off * mse + (1.0 - settings.trade_off) * nll
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), settings.grad_bound)
            opt.step()
    model.eval()
    return model


def embed(model: EPD, tokens: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The architecture embedding of each sequence (the model in eval mode)."""
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(tokens), batch_size):
            x = torch.as_tensor(tokens[start : start + batch_size], dtype=torch.long)
            out.append(model.encoder(x)[1].numpy())
    return np.concatenate(out).astype(np.float64)


def predict_values(model: EPD, tokens: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The performance predictor's output for each sequence (the model in eval mode)."""
    assert model.predictor is not None
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(tokens), batch_size):
            x = torch.as_tensor(tokens[start : start + batch_size], dtype=torch.long)
            out.append(model.predictor(model.encoder(x)[1]).numpy())
    return np.concatenate(out).astype(np.float64)
