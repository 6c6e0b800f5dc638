"""Sample-and-estimate against random search with full training, both live on 2 workers.

Per seed: sample-and-estimate draws ``--n`` NB201 cells, estimates each with ``--short-epochs``
of training (feature history, default concat K=2), fully trains the ``--top-k`` best and returns
the best of them. Random search then fully trains cells of the same draw order, each on the
first free one of the ``--workers`` workers, until one at least as good ends. Both train the
same networks (same seeds) on the same executor; the wall-clock of each is measured (random
search's up to the end of that run). The returned cell is among the first ``--n``, so random
search gets there within ``--n`` runs.

    python experiments/sample_search_live.py --seeds 5 --n 100 --short-epochs 1 --top-k 2
"""

from __future__ import annotations

import statistics
import tempfile
import time

from harness import parser as make_parser

from nasperf.benchmarks import LiveBenchmarkConfig, select_cells
from nasperf.execution import LocalExecutor
from nasperf.predictors.training_based import FeatureHistorySettings
from nasperf.search import Job, LiveBackend, RandomSearch, Run, run_search, sample_and_estimate
from nasperf.training import TrainConfig


class UntilAsGood(RandomSearch):
    """Random search over ``archs`` that starts no run once one reached ``target``."""

    def __init__(self, archs: list[str], target: float) -> None:
        super().__init__(archs)
        self.target = target
        self.reached = False

    def suggest(self) -> Job | None:
        return None if self.reached else super().suggest()

    def on_result(self, job: Job, run: Run) -> None:
        self.reached = self.reached or run.last >= self.target - 1e-9


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--short-epochs", type=int, default=2)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--top-k", type=int, default=2)
    parser.add_argument("--variant", default="concat")
    parser.add_argument("--k", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=500)
    args = parser.parse_args()
    config = LiveBenchmarkConfig(
        dataset=args.dataset,
        limit=args.limit,
        val_fraction=0.25,
        train=TrainConfig(epochs=args.epochs, batch_size=64),
        proxies=(),
        cells=args.n,
    )
    rows = []
    with LocalExecutor(workers=args.workers) as ex:
        for seed in range(args.seeds):
            archs = select_cells("nb201", 15625, 1000 + seed)[: args.n]
            with tempfile.TemporaryDirectory() as tmp:
                ev = LiveBackend(config, ex, tmp, seed=seed)
                tick = time.perf_counter()
                found = sample_and_estimate(
                    config,
                    archs,
                    ex,
                    ev,
                    FeatureHistorySettings(
                        epochs=args.short_epochs, variant=args.variant, k=args.k
                    ),
                    args.top_k,
                    seed,
                )
                t_se = time.perf_counter() - tick
                if found.best_value is None:
                    raise SystemExit(f"seed {seed}: every sample-and-estimate candidate failed")
            with tempfile.TemporaryDirectory() as tmp:
                ev = LiveBackend(config, ex, tmp, seed=seed)
                try:
                    res = run_search(
                        UntilAsGood(archs, found.best_value), ev, workers=args.workers, seed=seed
                    )
                finally:
                    ev.close()
            hit = next((p for p in res.trace if p.value >= found.best_value - 1e-9), None)
            if hit is None:
                raise SystemExit(f"seed {seed}: random search found no cell as good")
            best, trained, t_rs = hit.value, hit.jobs, hit.seconds
            rows.append((t_se, t_rs, found.best_value, best, trained))
            est_s, full_s = found.estimate_seconds, t_se - found.estimate_seconds
            print(
                f"seed {seed}: sample-and-estimate {t_se:.0f} s (estimates {est_s:.0f} s, full "
                f"runs {full_s:.0f} s) -> {found.best_value:.2f}; random search {t_rs:.0f} s "
                f"({trained} full runs) -> {best:.2f}",
                flush=True,
            )
    se = statistics.median(r[0] for r in rows)
    rs = statistics.median(r[1] for r in rows)
    red = statistics.median(1 - r[0] / r[1] for r in rows)
    print(
        f"\nmedian over {len(rows)} seeds: sample-and-estimate {se:.0f} s, random search to an "
        f"equal or better cell {rs:.0f} s; median reduction {100 * red:.0f}%"
    )


if __name__ == "__main__":
    main()
