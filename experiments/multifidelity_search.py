"""Hyperband and random search, with and without Baker et al.'s early-stopping rule, on a
benchmark with learning curves (simulated time: the recorded per-epoch cost).

Every method sees the same candidates in the same seeded order. For each method and seed it
records the epochs (and simulated seconds) until its incumbent is the best candidate of the
benchmark, and the regret of what it returns at several budgets. Prints markdown tables and
writes a plot of median regret against epochs.

    python experiments/multifidelity_search.py nb201-digits --seeds 50 --plot docs/hb_digits.png
"""

from __future__ import annotations

import time

import numpy as np
from harness import parser

from nasperf.benchmarks import load_benchmark
from nasperf.search import (
    BakerRule,
    MedianRule,
    TabularBackend,
    asha,
    dense_checkpoints,
    hyperband,
    permuted,
    random_search,
)


def methods(delta: float, min_completed: int):  # noqa: ANN201
    def baker() -> BakerRule:
        return BakerRule(delta=delta, min_completed=min_completed)

    return {
        "random (full training)": lambda ev, c, b: random_search(ev, c, budget_epochs=b),
        "random + Baker": lambda ev, c, b: random_search(ev, c, budget_epochs=b, rule=baker()),
        "random + Baker (Δ=0.1, dense checkpoints)": lambda ev, c, b: random_search(
            ev,
            c,
            budget_epochs=b,
            rule=BakerRule(
                delta=0.1,
                min_completed=min_completed,
                checkpoints=dense_checkpoints(ev.max_epochs),
            ),
        ),
        "Hyperband + Baker (Δ=0.1, dense checkpoints)": lambda ev, c, b: hyperband(
            ev,
            c,
            budget_epochs=b,
            rule=BakerRule(
                delta=0.1,
                min_completed=5,
                checkpoints=dense_checkpoints(ev.max_epochs),
            ),
        ),
        "random + median rule": lambda ev, c, b: random_search(
            ev, c, budget_epochs=b, rule=MedianRule(min_completed=min_completed)
        ),
        "Hyperband": lambda ev, c, b: hyperband(ev, c, budget_epochs=b),
        "Hyperband + Baker": lambda ev, c, b: hyperband(ev, c, budget_epochs=b, rule=baker()),
        "Hyperband + Baker (from 5 runs)": lambda ev, c, b: hyperband(
            ev, c, budget_epochs=b, rule=BakerRule(delta=delta, min_completed=5)
        ),
        "ASHA (4 workers)": lambda ev, c, b: asha(ev, c, budget_epochs=b, workers=4),
    }


def main() -> None:
    ap = parser(__doc__, benchmark="nb201-digits", seeds=50)
    ap.add_argument("--delta", type=float, default=0.05)
    ap.add_argument("--min-completed", type=int, default=10)
    ap.add_argument("--only", default=None, help="comma-separated method names")
    ap.add_argument("--plot", default=None)
    args = ap.parse_args()

    bench = load_benchmark(args.benchmark)
    recs = bench.records()
    archs = [r.arch for r in recs]
    best = max(float(r.target) for r in recs)
    full = bench.max_fidelity
    budget = full * len(archs)  # enough for random search to train every candidate
    grid = np.unique(np.geomspace(full, budget, 60).astype(int))
    chosen = methods(args.delta, args.min_completed)
    if args.only:
        chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}

    print(
        f"{bench.name}: {len(archs)} candidates, {full} epochs each, best final {best:.2f}; "
        f"{args.seeds} seeds, Δ={args.delta}, rule active after {args.min_completed} "
        "completed runs\n"
    )
    rows, curves = [], {}
    for name, run in chosen.items():
        tick = time.perf_counter()
        to_best_e, to_best_s, regrets, end_regret, stopped, configs = [], [], [], [], [], []
        totals = []
        for seed in range(args.seeds):
            res = run(TabularBackend(bench), permuted(archs, seed), budget)
            hit = next(
                (p for p in res.trace if p.true_value is not None and p.true_value >= best - 1e-9),
                None,
            )
            to_best_e.append(hit.epochs if hit else np.inf)  # never found: counts as infinite
            to_best_s.append(hit.seconds if hit else np.inf)
            regrets.append(
                [best - (res.value_at(g) if res.value_at(g) is not None else 0.0) for g in grid]
            )
            end_regret.append(
                best - float(bench.query(res.best_arch).target)
                if res.best_arch is not None
                else np.nan  # nothing trained to the end
            )
            stopped.append(res.stopped)
            totals.append(res.epochs_used)
            configs.append(res.configs)
        curves[name] = np.median(np.asarray(regrets), axis=0)
        found = np.isfinite(to_best_e)
        rows.append(
            {
                "method": name,
                "found": f"{found.sum()}/{args.seeds}",
                "epochs": float(np.median(to_best_e)),  # inf when most seeds never found it
                "seconds": float(np.median(to_best_s)),
                "regret": float(np.nanmean(end_regret)),
                "regrets": {
                    f: float(np.median([r[np.searchsorted(grid, f * full)] for r in regrets]))
                    for f in (10, 30, 100)
                },
                "stopped": float(np.mean(stopped)),
                "total": float(np.mean(totals)),
                "configs": float(np.mean(configs)),
                "wall": time.perf_counter() - tick,
            }
        )
    base = rows[0]["epochs"]
    ref = curves[next(iter(curves))]  # random search with full training

    def equal_regret_speedup(curve: np.ndarray, at: int) -> float:
        # level: random search's median regret after `at` full trainings; the ratio of the
        # budgets at which random search and the method first reach it
        level = ref[int(np.searchsorted(grid, at * full))] + 1e-9
        mine = np.flatnonzero(curve <= level)
        theirs = np.flatnonzero(ref <= level)
        return grid[theirs[0]] / grid[mine[0]] if mine.size else float("nan")

    for r in rows:
        r["eq"] = {f: equal_regret_speedup(curves[r["method"]], f) for f in (30, 100)}
    print("All candidates searched (each method runs until every candidate has been started):\n")
    print(
        "| method | total epochs (mean) | fewer epochs than random search | mean regret of the "
        "returned candidate | returned the best |"
    )
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['method']} | {r['total']:.0f} | {rows[0]['total'] / r['total']:.2f}x | "
            f"{r['regret']:.3f} | {r['found']} |"
        )
    print(
        "\nAnytime: epochs until the incumbent is the benchmark's best (infinite for seeds "
        "that never return it), and regret at equal budgets:\n"
    )
    print(
        "| method | found the best | median epochs to the best | speed-up | median sim. "
        "seconds | median regret at 10 / 30 / 100 full trainings | mean final regret | "
        "speed-up at equal median regret (RS at 30 / 100) | "
        "stopped by rule (mean) | candidates started (mean) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        reg = " / ".join(f"{v:.2f}" for v in r["regrets"].values())
        print(
            f"| {r['method']} | {r['found']} | {r['epochs']:.0f} | {base / r['epochs']:.2f}x | "
            f"{r['seconds']:.0f} | {reg} | {r['regret']:.3f} | "
            f"{r['eq'][30]:.1f}x / {r['eq'][100]:.1f}x | {r['stopped']:.0f} | "
            f"{r['configs']:.0f} |"
        )
    print("\n(" + ", ".join(f"{r['method']}: {r['wall']:.0f} s" for r in rows) + " of wall time)")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.2))
        for name, c in curves.items():
            ax.step(grid / full, np.maximum(c, 1e-3), where="post", label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"epochs spent / {full} (full trainings)")
        ax.set_ylabel("median regret of the incumbent (accuracy points)")
        ax.set_title(f"{bench.name}: {args.seeds} seeds, Δ={args.delta}")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
