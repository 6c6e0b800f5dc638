"""Architecture search on a table: random search, regularised evolution, local search, BANANAS
and NPENAS (with any surrogate), many seeds in parallel, each a fixed number of queries.

Each strategy is one :class:`nasperf.search.SearchSpec` whose seeds run on the executor
(``--workers``, ``--executor ray``) and are journalled in ``OUT/STRATEGY-qQUERIES/`` (a rerun
reads them back). Prints a markdown table: mean ± std test accuracy of the returned candidate
(the best by validation), how many seeds reached a top-0.1% candidate by validation and the
median queries to get there, the surrogate's refits and fit time, and a one-sided Mann-Whitney
test against random search.

    python experiments/nas_search.py nb201-cifar10 --seeds 100 --queries 150 --workers 2 \\
        --strategies rs,re,ls,bananas,npenas,bananas:rf --out runs/nas/nb201

A strategy is ``NAME`` or ``NAME:PREDICTOR`` (BANANAS and NPENAS's surrogate); ``bananas-zc``
is BANANAS with the table's zero-cost columns (``ZERO_COST``) as free features; ``ls-first``
local search that moves to the first better neighbour.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from harness import markdown, mean_std, parser, search_seeds
from scipy.stats import mannwhitneyu

from nasperf.search import SearchSpec

#: NB201 CIFAR-10's zero-cost columns given as free features to ``bananas-zc``
ZERO_COST = ("sz_jacov", "naswot", "synflow", "sz_nwot")


def spec_of(name: str, benchmark: str, queries: int) -> SearchSpec:
    """The search of the strategy ``name`` (see the module's doc) on ``benchmark``."""
    base, _, predictor = name.partition(":")
    strategy, params = {
        "rs": ("random", {}),
        "re": ("re", {}),
        "ls": ("ls", {}),
        "ls-first": ("ls", {"first_improvement": True}),
        "bananas": ("bananas", {}),
        "bananas-ucb": ("bananas", {"acquisition": "ucb"}),
        "bananas-zc": ("bananas", {"features": ZERO_COST}),
        "npenas": ("npenas", {}),
    }.get(base, (None, {}))
    if strategy is None:
        raise SystemExit(f"unknown strategy {name!r}")
    if predictor:
        params = {**params, "predictor": predictor}
    return SearchSpec(strategy, benchmark, params, queries=queries)


def top_cells(benchmark: str) -> set:
    """The cells whose validation value is among the table's best 0.1% (ties included)."""
    from nasperf.benchmarks import load_benchmark

    values = np.array([r.target for r in load_benchmark(benchmark).records()])
    cut = np.sort(values)[::-1][max(1, len(values) // 1000) - 1]
    return {r.arch for r in load_benchmark(benchmark).records() if r.target >= cut}


def row(name: str, results: list, top: set, queries: int, base: list[float]) -> list[Any]:
    tests = [r.best_test for r in results]
    reach = [r.queries_to(top) for r in results]
    # a seed that never reached counts as beyond the budget in the median
    med = np.median([q if q is not None else np.inf for q in reach])
    p = mannwhitneyu(tests, base, alternative="greater").pvalue if base and name != "rs" else None
    return [
        name,
        len(results),
        mean_std(tests),
        f"{sum(q is not None for q in reach)}/{len(results)}",
        f">{queries}" if np.isinf(med) else int(med),
        f"{np.mean([r.stats.get('refits', 0) for r in results]):.0f}",
        f"{np.mean([r.stats.get('fit_seconds', 0.0) for r in results]):.1f}",
        "" if p is None else f"{p:.1e}",
    ]


def main() -> None:
    ap = parser(__doc__, benchmark="nb201-cifar10", seeds=100, out=True, workers=True)
    ap.add_argument("--strategies", default="rs,re,ls,bananas,npenas")
    ap.add_argument("--queries", type=int, default=150)
    args = ap.parse_args()
    names = args.strategies.split(",")
    top = top_cells(args.benchmark)
    specs = {name: spec_of(name, args.benchmark, args.queries) for name in names}
    for spec in specs.values():
        spec.check()  # every strategy's settings, before the first seed of any
    by_name = {}
    for name, spec in specs.items():  # each strategy's seeds in parallel, journalled
        where = args.out / f"{name.replace(':', '-')}-q{args.queries}"
        by_name[name] = search_seeds(spec, range(args.seeds), args, where)
    base = [r.best_test for r in by_name.get("rs", [])]
    header = ["strategy", "seeds", "test acc. (mean ± std)", "reached top 0.1%"]
    header += ["median queries to it", "refits", "fit s / seed", "p (> random, one-sided)"]
    rows = [row(n, by_name[n], top, args.queries, base) for n in names]
    print(markdown(header, rows))


if __name__ == "__main__":
    main()
