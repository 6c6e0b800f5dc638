"""Architecture search on a table: random search, regularised evolution, local search, BANANAS
and NPENAS (with any surrogate), many seeds in parallel, each a fixed number of queries.

Writes one JSON line per (strategy, seed) to ``--out`` (appending; a rerun skips what is
there), then prints a markdown table: mean ± std test accuracy of the returned candidate (the
best by validation), how many seeds reached a top-0.1% candidate by validation and the median
queries to get there, the surrogate's refits and fit time, and a one-sided Mann-Whitney test
against random search.

    python benchmarks/nas_search.py nb201-cifar10 --seeds 100 --queries 150 --jobs 2 \\
        --strategies rs,re,ls,bananas,npenas,bananas:rf --out runs/nas/nb201.jsonl

A strategy is ``NAME`` or ``NAME:PREDICTOR`` (BANANAS and NPENAS's surrogate); ``bananas-zc``
is BANANAS with the table's zero-cost columns (``ZERO_COST``) as free features; ``ls-first``
local search that moves to the first better neighbour.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from pathlib import Path

import numpy as np

_BENCH = {}
#: NB201 CIFAR-10's zero-cost columns given as free features to ``bananas-zc``
ZERO_COST = ("sz_jacov", "naswot", "synflow", "sz_nwot")


def _benchmark(name: str):  # noqa: ANN202
    if name not in _BENCH:
        from nasperf.benchmarks import load_benchmark

        _BENCH[name] = load_benchmark(name)
    return _BENCH[name]


def scheduler(spec: str):  # noqa: ANN201
    from nasperf.search import BANANAS, NPENAS, LocalSearch, RandomSearch, RegularizedEvolution

    name, _, predictor = spec.partition(":")
    if name == "rs":
        return RandomSearch()
    if name == "re":
        return RegularizedEvolution()
    if name == "ls":
        return LocalSearch()
    if name == "ls-first":
        return LocalSearch(first_improvement=True)
    if name in ("bananas", "bananas-ucb"):
        acq = "ucb" if name.endswith("ucb") else None
        return BANANAS(predictor or None, acquisition=acq)
    if name == "bananas-zc":  # the table's zero-cost columns as free features
        return BANANAS(predictor or None, features=ZERO_COST)
    if name == "npenas":
        return NPENAS(predictor or None)
    raise SystemExit(f"unknown strategy {spec!r}")


def one(task: tuple[str, str, int, int]) -> dict:
    bench_name, spec, seed, queries = task
    from nasperf.search import TabularBackend, run_search
    from nasperf.training import torch_threads

    bench = _benchmark(bench_name)
    backend = TabularBackend(bench)
    recs = bench.records()
    values = np.array([r.target for r in recs])
    cut = np.sort(values)[::-1][max(1, len(values) // 1000) - 1]
    top = {r.arch for r in recs if r.target >= cut}
    sched = scheduler(spec)
    tick = time.perf_counter()
    with torch_threads(1):
        res = run_search(sched, backend, budget_epochs=queries * backend.max_epochs, seed=seed)
    return {
        "strategy": spec,
        "seed": seed,
        "queries": queries,
        "best_arch": str(res.best_arch),
        "best_val": res.best_value,
        "best_test": res.best_test,
        "queries_to_top": res.queries_to(top),
        "evaluated": res.completed,
        "refits": getattr(sched, "refits", 0),
        "fit_seconds": getattr(sched, "fit_seconds", 0.0),
        "wall_seconds": time.perf_counter() - tick,
    }


def summary(rows: list[dict], order: list[str]) -> str:
    from scipy.stats import mannwhitneyu

    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["strategy"], []).append(r)
    base = [r["best_test"] for r in by.get("rs", [])]
    lines = [
        "| strategy | seeds | test acc. (mean ± std) | reached top 0.1% | median queries to it "
        "| refits | fit s / seed | p (> random, one-sided) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for spec in order:
        rs = by.get(spec, [])
        if not rs:
            continue
        tests = np.array([r["best_test"] for r in rs])
        reach = [r["queries_to_top"] for r in rs]
        hit = [q for q in reach if q is not None]
        # a seed that never reached counts as beyond the budget in the median
        med = np.median([q if q is not None else np.inf for q in reach])
        p = (
            mannwhitneyu(tests, base, alternative="greater").pvalue
            if base and spec != "rs"
            else None
        )
        lines.append(
            f"| {spec} | {len(rs)} | {tests.mean():.2f} ± {tests.std():.2f} | {len(hit)}/{len(rs)} "
            f"| {'>' + str(rs[0]['queries']) if np.isinf(med) else int(med)} "
            f"| {np.mean([r['refits'] for r in rs]):.0f} "
            f"| {np.mean([r['fit_seconds'] for r in rs]):.1f} "
            f"| {'' if p is None else f'{p:.1e}'} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("benchmark")
    ap.add_argument("--strategies", default="rs,re,ls,bananas,npenas")
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--first-seed", type=int, default=0, help="run seeds first..seeds-1")
    ap.add_argument("--also", type=Path, nargs="*", default=[], help="more rows to summarise")
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--summary-only", action="store_true")
    args = ap.parse_args()
    order = args.strategies.split(",")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = []
    if args.out.exists():
        done = [json.loads(line) for line in args.out.read_text().splitlines() if line.strip()]
    have = {(r["strategy"], r["seed"], r["queries"]) for r in done}
    tasks = [  # seed by seed, so that a run cut short has the same seeds of every strategy
        (args.benchmark, s, seed, args.queries)
        for seed in range(args.first_seed, args.seeds)
        for s in order
        if (s, seed, args.queries) not in have
    ]
    if tasks and not args.summary_only:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(args.jobs) as pool, args.out.open("a") as fh:
            for row in pool.imap_unordered(one, tasks):
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                done.append(row)
    for extra in args.also:
        done += [json.loads(line) for line in extra.read_text().splitlines() if line.strip()]
    unique = {(r["strategy"], r["seed"], r["queries"]): r for r in done}  # a row once
    rows = [r for r in unique.values() if r["queries"] == args.queries and r["seed"] < args.seeds]
    print(summary(rows, order))


if __name__ == "__main__":
    main()
