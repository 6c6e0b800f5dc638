"""Does a sequential regression model depend on the units of the metric it reads?

Feeds ``--predictor`` (LcSVR by default) the same runs' curves in different units: accuracy in
percent and as a fraction (target: the final accuracy in the same units), the validation loss,
minus the loss and the log-loss (target: minus the final loss), and prints the Kendall τ against
the target at each fidelity (100 training and 100 test curves, ``--splits`` random splits), for
the rank transform (the default) and the raw values (``transform="standard"``, nasperf <= 0.1).

    python experiments/lc_units.py nb201-digits --fidelities 1,2,3,5,10,20 --splits 20
"""

from __future__ import annotations

import numpy as np
from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark
from nasperf.predictors import make_predictor
from nasperf.records import Record
from nasperf.stats import kendall_tau

#: name -> (curve read, its units, the target from the curve's last value)
VARIANTS = {
    "accuracy %": ("val_acc", lambda c: c, lambda v: v),
    "accuracy fraction": ("val_acc", lambda c: c / 100, lambda v: v / 100),
    "loss": ("val_loss", lambda c: c, lambda v: -v),
    "minus loss": ("val_loss", lambda c: -c, lambda v: -v),
    "log-loss": ("val_loss", np.log, lambda v: -v),
}


def as_variant(records: list[Record], name: str) -> list[Record]:
    curve, unit, target = VARIANTS[name]
    return [
        Record(r.arch, r.space, float(target(r.curves[curve][-1])),
               {"x": unit(np.asarray(r.curves[curve]))}, dict(r.scores))
        for r in records
    ]


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("benchmark", nargs="?", default="nb201-digits")
    parser.add_argument("--fidelities", default="1,2,3,5,10,20")
    parser.add_argument("--predictor", default="lcsvr")
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--train", type=int, default=100)
    args = parser.parse_args()
    recs = load_benchmark(args.benchmark).records()
    fids = [int(f) for f in args.fidelities.split(",")]
    names = [n for n in VARIANTS if VARIANTS[n][0] in recs[0].curves]
    print(f"{args.benchmark}: Kendall tau of {args.predictor} ({args.splits} splits, "
          f"{args.train} training curves)\n")
    print("| transform | curve (target) | " + " | ".join(map(str, fids)) + " |")
    print("|---|---|" + "---|" * len(fids))
    for transform in ("standard", "rank"):
        for name in names:
            data = as_variant(recs, name)
            taus = np.zeros((args.splits, len(fids)))
            for split in range(args.splits):
                order = np.random.default_rng(split).permutation(len(data))
                train = [data[i] for i in order[: args.train]]
                test = [data[i] for i in order[args.train : 2 * args.train]]
                y = [r.target for r in test]
                for j, f in enumerate(fids):
                    pred = make_predictor(args.predictor, fidelity=f, curve="x",
                                          transform=transform, random_state=split)
                    taus[split, j] = kendall_tau(pred.fit(train).predict(test), y)
            target = "final loss" if VARIANTS[name][0] == "val_loss" else "final accuracy"
            cells = " | ".join(f"{t:.3f}" for t in taus.mean(axis=0))
            print(f"| {transform} | {name} ({target}) | {cells} |", flush=True)


if __name__ == "__main__":
    main()
