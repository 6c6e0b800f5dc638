"""Compute zero-cost proxies for many cells of a search space and write them as a table.

The table is a CSV with one row per cell: ``arch`` (the space's canonical string), one column
``zc_<proxy>`` per proxy, ``seconds`` (compute time of the row) and ``errors`` (why a proxy has
no value for that cell, empty otherwise). ``nasperf evaluate --scores FILE`` joins it onto a
benchmark, so ``col:zc_synflow`` ranks the benchmark's cells by our own synflow.

Rows are appended and flushed as each cell finishes; a sidecar ``FILE.meta.json`` records the
settings. Rerun with the same settings, the job skips the cells already in the file (a row cut
short by a kill is dropped and recomputed), so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path

from ..exceptions import ConfigurationError, InvalidDataError, NasperfError

__all__ = ["ProxyTableConfig", "compute_proxy_table", "read_proxy_table"]

log = logging.getLogger(__name__)

COLUMN_PREFIX = "zc_"


@dataclass(frozen=True)
class ProxyTableConfig:
    """The settings a proxy table is computed with (all of them must match to resume)."""

    space: str = "nb201"
    dataset: str = "mnist"
    proxies: tuple[str, ...] = ()
    batch_size: int = 64
    seed: int = 0
    size: int | None = 32
    channels: int | None = 3
    data_root: str | None = None


# -- worker side ---------------------------------------------------------------------------------
_STATE: dict[str, object] = {}


def _init_worker(config: ProxyTableConfig, threads: int) -> None:
    import torch

    from ..data import load_dataset

    torch.set_num_threads(threads)
    data = load_dataset(
        config.dataset,
        root=config.data_root,
        size=config.size,
        channels=config.channels,
        seed=config.seed,
    )
    _STATE["batch"] = data.batch(config.batch_size, "train", seed=config.seed)
    _STATE["shape"] = data.input_shape
    _STATE["classes"] = data.num_classes
    _STATE["config"] = config


def _score_cell(arch: str) -> dict[str, object]:
    """Build ``arch`` under the table's seed and compute every proxy on the fixed batch."""

    from ..predictors.zero_cost import compute_proxies, compute_proxy
    from ..spaces import get_space

    config: ProxyTableConfig = _STATE["config"]  # type: ignore[assignment]
    inputs, targets = _STATE["batch"]  # type: ignore[misc]
    shape = _STATE["shape"]
    start = time.perf_counter()
    from ..training import seeded  # every device's RNG saved and restored

    with seeded(config.seed):
        model = get_space(config.space).build(
            arch, in_channels=shape[0], num_classes=_STATE["classes"]
        )
    errors: list[str] = []
    try:
        values: dict[str, float] = compute_proxies(
            model, inputs, targets, config.proxies, seed=config.seed
        )
    except NasperfError:
        # One proxy has no finite value for this cell: compute the others one by one.
        values = {}
        for name in config.proxies:
            try:
                values[name] = compute_proxy(name, model, inputs, targets, seed=config.seed)
            except NasperfError as exc:
                errors.append(f"{name}: {exc}")
    row: dict[str, object] = {"arch": arch}
    for name in config.proxies:
        row[COLUMN_PREFIX + name] = repr(values[name]) if name in values else ""
    row["seconds"] = f"{time.perf_counter() - start:.4f}"
    row["errors"] = " | ".join(errors)
    return row


# -- driver side ---------------------------------------------------------------------------------
def _header(config: ProxyTableConfig) -> list[str]:
    return ["arch", *(COLUMN_PREFIX + p for p in config.proxies), "seconds", "errors"]


def _meta_path(out: Path) -> Path:
    return out.with_name(out.name + ".meta.json")


def _finished_cells(out: Path, config: ProxyTableConfig) -> set[str]:
    """Cells already in ``out``; checks that it was written with the same settings."""
    meta = _meta_path(out)
    if not out.exists():
        return set()
    if not meta.exists():
        raise ConfigurationError(
            f"{out} exists but was not written by nasperf proxies; choose another --out"
        )
    saved = json.loads(meta.read_text())
    wanted = json.loads(json.dumps(asdict(config)))
    if saved != wanted:
        diff = sorted(k for k in wanted if saved.get(k) != wanted[k])
        raise ConfigurationError(
            f"{out} was computed with other settings ({', '.join(diff)}); rerun with the same "
            "options to resume it, or choose another --out"
        )
    # A kill can leave half a line at the end: cut it off, the cell is recomputed.
    data = out.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with out.open("r+b") as fh:
            fh.truncate(cut)
        log.info("dropped an unfinished last row of %s", out)
    with out.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != _header(config):
            raise InvalidDataError(f"{out} has an unexpected header; choose another --out")
        return {row[0] for row in reader if row}


def compute_proxy_table(
    out: str | Path,
    config: ProxyTableConfig,
    cells: Sequence[str],
    *,
    workers: int = 1,
    on_cell: Callable[[int, int], None] | None = None,
) -> Path:
    """Compute ``config.proxies`` for ``cells`` into the CSV ``out``, resuming if it exists.

    ``workers`` processes share the work (each with one torch thread when there are several);
    ``on_cell(done, total)`` is called after each finished cell. Returns ``out``.
    """
    from ..data import load_dataset
    from ..predictors.zero_cost import PROXY_NAMES

    out = Path(out)
    if not config.proxies:
        config = ProxyTableConfig(**{**asdict(config), "proxies": tuple(PROXY_NAMES)})
    unknown = [p for p in config.proxies if p not in PROXY_NAMES]
    if unknown:
        from ..exceptions import UnknownNameError

        raise UnknownNameError("proxy", unknown[0], list(PROXY_NAMES))
    if len(set(config.proxies)) != len(config.proxies):
        raise ConfigurationError("--proxies names a proxy twice")
    if config.batch_size < 2:
        raise ConfigurationError("--batch-size must be at least 2")
    if workers < 1:
        raise ConfigurationError("--workers must be at least 1")
    # Fail on bad data settings here, before any file is written.
    load_dataset(config.dataset, root=config.data_root, size=config.size, channels=config.channels)
    done = _finished_cells(out, config)
    todo = [c for c in cells if c not in done]
    total = len(cells)
    finished = total - len(todo)
    log.info("%s: %d of %d cells already done", out, finished, total)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        with out.open("w", newline="") as fh:
            csv.writer(fh).writerow(_header(config))
        _meta_path(out).write_text(json.dumps(asdict(config), indent=1))
    if on_cell is not None:
        on_cell(finished, total)
    if not todo:
        return out
    header = _header(config)
    with out.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)

        def record(row: dict[str, object]) -> None:
            nonlocal finished
            writer.writerow(row)
            fh.flush()
            os.fsync(fh.fileno())
            finished += 1
            if row["errors"]:
                log.warning("%s: %s", row["arch"], row["errors"])
            if on_cell is not None:
                on_cell(finished, total)

        if workers == 1:
            _init_worker(config, threads=1)
            for arch in todo:
                record(_score_cell(arch))
        else:
            _run_pool(todo, config, workers, record)
    return out


def _run_pool(
    todo: Sequence[str],
    config: ProxyTableConfig,
    workers: int,
    record: Callable[[dict[str, object]], None],
) -> None:
    """Score ``todo`` on a process pool, at most ``2 * workers`` cells in flight."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(config, 1)
    ) as pool:
        queue = iter(todo)
        running: set[Future] = set()
        for arch in queue:
            running.add(pool.submit(_score_cell, arch))
            if len(running) >= 2 * workers:
                break
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                record(fut.result())
                nxt = next(queue, None)
                if nxt is not None:
                    running.add(pool.submit(_score_cell, nxt))


def read_proxy_table(path: str | Path) -> dict[str, dict[str, float]]:
    """The finite proxy values of a table, by cell (missing values left out)."""
    out: dict[str, dict[str, float]] = {}
    with Path(path).open(newline="") as fh:
        for row in csv.DictReader(fh):
            out[row["arch"]] = {
                k[len(COLUMN_PREFIX) :]: float(v)
                for k, v in row.items()
                if k.startswith(COLUMN_PREFIX) and v and math.isfinite(float(v))
            }
    return out
