"""Zero-cost scores (and early values) as features of every vector model-based predictor.

For each predictor, Kendall τ on the same splits with the space's encoding alone and with the
encoding plus the z-scored zero-cost and early columns the benchmark carries (the features of
OMNI, ``nasperf.predictors.hybrid.FeatureSpec``).

    python experiments/zc_features.py nb201-cifar10 --sizes 24,121 --trials 5 \
        --out runs/omni/zcfeat.json
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark
from nasperf.predictors import make_predictor
from nasperf.predictors.hybrid import FeatureSpec, feature_records
from nasperf.stats import kendall_tau
from nasperf.training import torch_threads

MODELS = "xgb,lgb,rf,ngb,gp,mlp,blr,dngo,bohamiann,sparse-gp,var-sparse-gp"


def main() -> None:
    ap = make_parser(__doc__)
    ap.add_argument("benchmark")
    ap.add_argument("--predictors", default=MODELS)
    ap.add_argument("--sizes", default="24,121")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--test-size", type=int, default=200)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    records = [r for r in load_benchmark(args.benchmark).records() if r.target is not None]
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for trial in range(args.trials):
        order = np.random.default_rng([0, trial]).permutation(len(records))
        test = [records[i] for i in order[: args.test_size]]
        y_test = np.array([r.target for r in test])
        for n in sizes:
            train = [records[i] for i in order[args.test_size : args.test_size + n]]
            y = np.array([r.target for r in train])
            feats = FeatureSpec(encoding="default").fit(train)
            plain = FeatureSpec(encoding="default", zero_cost=None, early=None).fit(train)
            for name in args.predictors.split(","):
                for variant, f in (("encoding", plain), ("encoding+scores", feats)):
                    pred = make_predictor(name, encoding="features", random_state=trial)
                    t0 = time.perf_counter()
                    with torch_threads(1):
                        pred.fit(feature_records(train, f.transform(train), y))
                        p = pred.predict(feature_records(test, f.transform(test)))
                    tau = float(kendall_tau(p, y_test))
                    rows.append(
                        {
                            "trial": trial,
                            "n": n,
                            "predictor": name,
                            "features": variant,
                            "tau": tau,
                            "seconds": time.perf_counter() - t0,
                        }
                    )
                    logging.info("trial %d n=%d %s %s τ=%.3f", trial, n, name, variant, tau)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))
    table: dict[tuple[str, int], dict[str, list[float]]] = {}
    for r in rows:
        table.setdefault((r["predictor"], r["n"]), {}).setdefault(r["features"], []).append(
            r["tau"]
        )
    print("| predictor | n | τ encoding | τ encoding + scores | gain |")
    print("|---|---|---|---|---|")
    for (name, n), v in table.items():
        a, b = np.mean(v["encoding"]), np.mean(v["encoding+scores"])
        print(f"| {name} | {n} | {a:.3f} | {b:.3f} | {b - a:+.3f} |")


if __name__ == "__main__":
    main()
