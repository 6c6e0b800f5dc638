"""Baker's rule's gain model (LcSVR with ``residual=True``, raw values) on held-out curves: does
it follow the runs, or collapse to "last value + a constant" (issue 23)?

    python experiments/lc_gain_model.py nb201-digits --selection spearman   # before the fix
    python experiments/lc_gain_model.py nb201-digits                        # now (auto: mse)

200 training and 100 test curves (one seeded split). Per fidelity: the spread (std) of the
predicted gain still to come, the largest predicted final, the mean absolute error of the
prediction and of the last value, the mean predictive std and the 90% interval's coverage.
"""

from __future__ import annotations

import numpy as np
from harness import markdown
from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark
from nasperf.predictors import make_predictor
from nasperf.stats import kendall_tau


def main() -> None:
    ap = make_parser(__doc__, benchmark="nb201-digits")
    ap.add_argument("--selection", default="auto", choices=["auto", "spearman", "mse"])
    ap.add_argument("--fidelities", default="2,3,5,10,20")
    args = ap.parse_args()
    recs = load_benchmark(args.benchmark).records()
    order = np.random.default_rng(0).permutation(len(recs))
    train, test = [recs[i] for i in order[:200]], [recs[i] for i in order[200:300]]
    y = np.array([r.curve("val_acc")[-1] for r in test])
    rows = []
    for f in (int(x) for x in args.fidelities.split(",")):
        model = make_predictor(
            "lcsvr",
            fidelity=f,
            residual=True,
            transform="standard",
            encoding=None,
            arch_columns=False,
            selection=args.selection,
        ).fit(train)
        mean, std = model.predict_dist(test)
        last = np.array([r.curve("val_acc", f)[-1] for r in test])
        rows.append(
            [
                f,
                f"{np.std(mean - last):.3f}",
                f"{mean.max():.1f}",
                f"{np.mean(np.abs(mean - y)):.2f}",
                f"{np.mean(np.abs(last - y)):.2f}",
                f"{np.mean(std):.2f}",
                f"{np.mean(np.abs(mean - y) <= 1.6449 * std):.2f}",
                f"{kendall_tau(mean, y):.3f}",
                f"{kendall_tau(last, y):.3f}",
            ]
        )
    print(f"{args.benchmark}, selection={args.selection}: 200 training, 100 test curves\n")
    print(
        markdown(
            [
                "epochs",
                "spread of the predicted gain",
                "largest predicted final",
                "MAE",
                "MAE of the last value",
                "mean std",
                "90% coverage",
                "τ",
                "τ of the last value",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
