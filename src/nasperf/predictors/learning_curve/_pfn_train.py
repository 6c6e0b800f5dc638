"""Training ``lc-pfn`` on the curve prior: seeded, resumable, on CPU or a GPU.

Every step draws fresh studies from :func:`~._prior.sample_studies` (a run length T, a number
of finished runs, eight runs cut at a random point each and asked for a later value) and
minimises the bar distribution's negative log-likelihood of the value asked for. A checkpoint
(weights, optimiser, the random generators' states) is written every ``checkpoint_every``
steps, so an interrupted training resumes where it stopped and ends with the same weights.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...exceptions import ConfigurationError
from ._pfn_net import HIGH, LOW, CurvePFN, PFNSettings, run_tokens
from ._prior import sample_studies

__all__ = ["PriorBatch", "prior_batch", "train_curve_pfn", "TrainingReport", "PRIOR_VERSION"]

LOG = logging.getLogger(__name__)
#: names the prior the weights were trained on (bump when ``sample_studies`` changes)
PRIOR_VERSION = "nasperf-curve-prior-2"


@dataclass(frozen=True)
class PriorBatch:
    """Tokens (studies, runs, TOKEN), which runs are finished, the values asked for, and the
    last observed value of each run (the early-stop guess, for comparison)."""

    tokens: np.ndarray
    finished: np.ndarray
    target: np.ndarray
    last: np.ndarray


def prior_batch(rng: np.random.Generator, runs: int = 1024, partial: int = 8) -> PriorBatch:
    """One batch of about ``runs`` prior runs: studies of 0-48 finished runs (none in 30% of
    them: the single-curve case) and ``partial`` runs cut at a log-uniform share of their
    length, each asked for its final value (70%) or a value in between."""
    length = int(round(math.exp(rng.uniform(math.log(8), math.log(220)))))
    done = 0 if rng.random() < 0.3 else int(rng.integers(1, 49))
    per = done + partial
    studies = max(1, runs // per)
    drawn = sample_studies(rng, studies, per, length)
    finished = np.zeros((studies, per), dtype=bool)
    finished[:, :done] = True
    share = np.exp(rng.uniform(math.log(1 / length), math.log(0.95), (studies, per)))
    seen = np.clip(np.round(share * length), 1, length - 1).astype(np.int64)
    seen[finished] = length
    later = rng.integers(seen, length, endpoint=True)
    query = np.where(rng.random((studies, per)) < 0.7, length, np.maximum(later, seen + 1))
    query = np.minimum(query, length)
    curves = drawn.curves.reshape(studies * per, length)
    feats = drawn.features.reshape(studies * per, -1)
    mask = np.repeat(drawn.feature_mask, per, axis=0)
    tokens = run_tokens(curves, seen.ravel(), length, query.ravel(), finished.ravel(), feats, mask)
    rows = np.arange(studies * per)
    target = curves[rows, query.ravel() - 1].reshape(studies, per)
    last = curves[rows, seen.ravel() - 1].reshape(studies, per)
    return PriorBatch(tokens.reshape(studies, per, -1), finished, target, last)


def bucket_index(values: torch.Tensor, buckets: int) -> torch.Tensor:
    """The bucket of each normalised value (values outside the range go to the end buckets)."""
    scaled = (values - LOW) / (HIGH - LOW) * buckets
    return scaled.floor().clamp(0, buckets - 1).long()


def batch_loss(model: CurvePFN, batch: PriorBatch, device: str) -> torch.Tensor:
    """The mean negative log-likelihood (in buckets) of the runs that are not finished."""
    tokens = torch.as_tensor(batch.tokens, device=device)
    finished = torch.as_tensor(batch.finished, device=device)
    logits = model(tokens, finished)
    target = bucket_index(torch.as_tensor(batch.target, device=device), model.settings.buckets)
    nll = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none"
    )
    return nll[~finished.reshape(-1)].mean()


@dataclass(frozen=True)
class TrainingReport:
    """What a training run did: steps, seconds, the last losses and where the files are."""

    steps: int
    seconds: float
    loss: float
    weights: Path
    settings: Path


def reference_check(weights: Path) -> dict[str, object]:
    """Five fixed accuracy curves and the network's prediction of their final value at epoch 5
    of 20, stored beside the weights: loading them must reproduce it."""
    from ...records import Record
    from ._pfn import PFNCurvePredictor, load_pfn

    load_pfn.cache_clear()
    t = np.arange(1, 21)
    curves = [
        (0.1 + (level - 0.1) * (1 - np.exp(-rate * t))).round(4).tolist()
        for level, rate in ((0.9, 0.5), (0.7, 0.2), (0.95, 0.1), (0.5, 0.8), (0.8, 0.3))
    ]
    recs = [
        Record(arch=i, space="custom", target=c[-1], curves={"val_acc": np.array(c)})
        for i, c in enumerate(curves)
    ]
    pred = PFNCurvePredictor(fidelity=5, weights=weights).fit(recs)
    mean, std = pred.predict_dist(recs)
    return {"fidelity": 5, "curves": curves, "mean": mean.tolist(), "std": std.tolist()}


def _atomic_save(obj: object, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train_curve_pfn(
    out: Path,
    *,
    steps: int = 20000,
    seed: int = 0,
    device: str = "cpu",
    settings: PFNSettings | None = None,
    batch_runs: int = 1024,
    lr: float = 1e-3,
    checkpoint_every: int = 500,
    threads: int = 1,
    on_step: Callable[[int, int, float], None] | None = None,
) -> TrainingReport:
    """Train a curve PFN into ``out`` (``lc_pfn.pt``, ``lc_pfn.json``, ``checkpoint.pt``).

    Resumes from ``out/checkpoint.pt`` when it exists and was written with the same settings;
    ``on_step(step, steps, loss)`` is called after every step (a progress bar).
    """
    settings = settings or PFNSettings()
    if steps < 1 or batch_runs < 16 or checkpoint_every < 1:
        raise ConfigurationError("steps >= 1, batch_runs >= 16 and checkpoint_every >= 1")
    if settings.d % settings.heads:
        raise ConfigurationError(
            f"the width ({settings.d}) must be a multiple of the attention heads "
            f"({settings.heads}), e.g. {settings.heads * max(1, settings.d // settings.heads)}"
        )
    from ...training import torch_threads

    # the caller's thread count and torch seed are theirs again afterwards
    with torch_threads(threads), torch.random.fork_rng(devices=[]):
        return _train(
            out, steps, seed, device, settings, batch_runs, lr, checkpoint_every, threads, on_step
        )


def _train(  # train_curve_pfn's arguments, checked there
    out: Path,
    steps: int,
    seed: int,
    device: str,
    settings: PFNSettings,
    batch_runs: int,
    lr: float,
    checkpoint_every: int,
    threads: int,
    on_step: Callable[[int, int, float], None] | None,
) -> TrainingReport:
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigurationError(f"--device {device}: no CUDA device here; use --device cpu")
    out.mkdir(parents=True, exist_ok=True)
    recipe = {
        "prior": PRIOR_VERSION,
        "steps": steps,
        "seed": seed,
        "batch_runs": batch_runs,
        "lr": lr,
        **settings.as_dict(),
    }
    torch.manual_seed(seed)
    model = CurvePFN(settings).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    warm = min(500, steps // 10 + 1)

    def rate(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, rate)
    rng = np.random.default_rng(seed)
    start, losses, seconds = 0, [], 0.0
    ckpt = out / "checkpoint.pt"
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state["recipe"] != recipe:
            raise ConfigurationError(
                f"{ckpt} was written by a training with other settings ({state['recipe']}); "
                "give the same settings to resume, or another --out"
            )
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"].cpu())
        start, losses, seconds = state["step"], state["losses"], state["seconds"]
        LOG.info("resuming %s at step %d of %d", out, start, steps)
    began = time.perf_counter()
    model.train()
    for step in range(start, steps):
        loss = batch_loss(model, prior_batch(rng, batch_runs), device)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        value = loss.item()
        losses.append(value)
        if on_step is not None:
            on_step(step + 1, steps, value)
        if (step + 1) % checkpoint_every == 0 or step + 1 == steps:
            state = {
                "recipe": recipe,
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "rng": rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
                "step": step + 1,
                "losses": losses,
                "seconds": seconds + time.perf_counter() - began,
            }
            _atomic_save(state, ckpt)
            LOG.info("step %d/%d, loss %.3f", step + 1, steps, float(np.mean(losses[-200:])))
    seconds += time.perf_counter() - began
    weights, info = out / "lc_pfn.pt", out / "lc_pfn.json"
    half = {k: v.detach().to("cpu", torch.float16) for k, v in model.state_dict().items()}
    _atomic_save(half, weights)
    record = {
        **recipe,
        "seconds": round(seconds, 1),
        "loss_last_200": round(float(np.mean(losses[-200:])), 4),
        "loss_every_500": [
            round(float(np.mean(losses[i : i + 500])), 4) for i in range(0, len(losses), 500)
        ],
        "device": device,
        "threads": threads,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or '?'}",
        "torch": torch.__version__,
    }
    info.write_text(json.dumps(record, indent=1) + "\n")
    record["check"] = reference_check(weights)
    info.write_text(json.dumps(record, indent=1) + "\n")
    return TrainingReport(steps, seconds, record["loss_last_200"], weights, info)
