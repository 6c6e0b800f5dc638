"""The curve PFN (issue 23) on the development sets: prior draws beside real curves, ranking and
calibration at 5/10/20/50% of the curve, early stopping, and the planted test.

    python experiments/lc_pfn.py prior --plot docs/lc_prior.png
    python experiments/lc_pfn.py rank nb201-digits --trials 20 --out runs/pfn/rank_digits.json
    python experiments/lc_pfn.py stop nb201-digits --seeds 50
    python experiments/lc_pfn.py planted nb201-digits --seeds 20

A benchmark is any name ``load_benchmark`` takes (``curves:PATH`` included); ``--curve`` names
the curve (``val_acc`` by default). The truth is the curve's own final value.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from harness import METRICS, markdown
from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark
from nasperf.predictors import make_predictor
from nasperf.predictors.learning_curve import lower_is_better, sample_studies

SHARES = (0.05, 0.1, 0.2, 0.5)
Z90 = 1.6449


def curve_records(name: str, curve: str) -> tuple[list, int]:
    """The benchmark's records whose ``curve`` is complete, and the full length."""
    recs = load(name, curve).records()
    lengths = [len(r.curves.get(curve, ())) for r in recs]
    full = max(set(lengths), key=lengths.count)
    keep = [r for r, n in zip(recs, lengths, strict=True) if n == full]
    return keep, full


def load(name: str, curve: str):  # noqa: ANN201
    """The benchmark; a ``curves:`` file read with ``curve`` (minus a loss: ``-val_loss``)."""
    if name.startswith("curves:"):
        return load_benchmark(name, curve=curve.lstrip("-"))
    return load_benchmark(name)


def final(records: list, curve: str) -> np.ndarray:
    sign = -1.0 if lower_is_better(curve) else 1.0
    return np.array([sign * float(r.curves[curve][-1]) for r in records])


def predictors(curve: str, has_train_loss: bool, names: list[str]) -> dict[str, dict]:
    """The predictors compared, with their options."""
    table = {
        "early stop": ("early-stop-acc", {"curve": curve}),
        "SoTL-E": ("sotl-e", {}),
        "LCE": ("lce", {"curve": curve}),
        "LCE-m": ("lce-m", {"curve": curve}),
        "LcSVR": ("lcsvr", {"curve": curve, "encoding": None}),
        "lc-pfn": ("lc-pfn", {"curve": curve}),
        "lc-pfn-study": ("lc-pfn-study", {"curve": curve}),
    }
    if not has_train_loss:
        table.pop("SoTL-E")
    return {k: v for k, v in table.items() if not names or k in names or v[0] in names}


def rank(args) -> None:  # noqa: ANN001
    recs, full = curve_records(args.benchmark, args.curve)
    y_all = final(recs, args.curve)
    extra = {"weights": args.weights} if args.weights else {}
    chosen = predictors(
        args.curve,
        all("train_loss" in r.curves for r in recs),
        args.predictors.split(",") if args.predictors else [],
    )
    n_train = min(args.train, len(recs) // 2)
    rows = []
    for trial in range(args.trials):
        order = np.random.default_rng(args.seed + trial).permutation(len(recs))
        train = [recs[i] for i in order[:n_train]]
        test_idx = order[n_train : n_train + args.test]
        test, y = [recs[i] for i in test_idx], y_all[test_idx]
        for share in SHARES:
            f = max(1, int(round(share * full)))
            for label, (name, opts) in chosen.items():
                if name == "lce-m" and trial >= args.slow_trials:
                    continue  # the MCMC costs 0.2 s a curve: fewer trials
                kw = {**opts, **(extra if name.startswith("lc-pfn") else {})}
                t0 = time.process_time()
                model = make_predictor(name, fidelity=f, **kw).fit(train)
                t1 = time.process_time()
                if name.startswith("lc-pfn"):  # its own 5-95% quantiles, not a Gaussian's
                    mean = model.predict(test)
                    lo, hi = model.predict_quantiles(test, [0.05, 0.95]).T
                    cover = float(np.mean((y >= lo) & (y <= hi)))
                    width = float(np.mean(hi - lo))
                elif hasattr(model, "predict_dist"):
                    mean, std = model.predict_dist(test)
                    cover = float(np.mean(np.abs(mean - y) <= Z90 * std))
                    width = float(np.mean(2 * Z90 * std))
                else:
                    mean, cover, width = model.predict(test), None, None
                t2 = time.process_time()
                rows.append(
                    {
                        "trial": trial,
                        "share": share,
                        "fidelity": f,
                        "predictor": label,
                        "tau": METRICS["kendall_tau"](mean, y),
                        "cover": cover,
                        "width": width,
                        "fit_s": t1 - t0,
                        "query_ms": 1000 * (t2 - t1) / len(test),
                    }
                )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(rows))
    report(args.benchmark, full, n_train, args.test, args.trials, rows)


def report(name: str, full: int, n_train: int, n_test: int, trials: int, rows: list) -> None:
    labels = list(dict.fromkeys(r["predictor"] for r in rows))
    print(
        f"{name}: Kendall τ with the final value, mean over {trials} trials "
        f"({n_train} training runs, up to {n_test} test runs, {full} epochs)\n"
    )
    head = ["predictor", *[f"{int(100 * s)}%" for s in SHARES]]

    def cell(label: str, share: float, key: str, fmt: str) -> str:
        vals = [r[key] for r in rows if r["predictor"] == label and r["share"] == share]
        vals = [v for v in vals if v is not None]
        return fmt.format(np.mean(vals)) if vals else "-"

    print(markdown(head, [[lb, *[cell(lb, s, "tau", "{:.3f}") for s in SHARES]] for lb in labels]))
    print("\ncoverage of the 90% interval / mean width\n")
    dist = [
        lb for lb in labels if any(r["cover"] is not None for r in rows if r["predictor"] == lb)
    ]
    print(
        markdown(
            head,
            [
                [
                    lb,
                    *[
                        f"{cell(lb, s, 'cover', '{:.2f}')} / {cell(lb, s, 'width', '{:.3g}')}"
                        for s in SHARES
                    ],
                ]
                for lb in dist
            ],
        )
    )
    print("\nCPU seconds to fit / ms per curve queried (mean)\n")
    print(
        markdown(
            ["predictor", "fit s", "query ms"],
            [
                [
                    lb,
                    f"{np.mean([r['fit_s'] for r in rows if r['predictor'] == lb]):.3f}",
                    f"{np.mean([r['query_ms'] for r in rows if r['predictor'] == lb]):.3f}",
                ]
                for lb in labels
            ],
        )
    )


def rule_for(name: str, delta: float, full: int, min_completed: int = 10):  # noqa: ANN201
    """Baker's rule with curve model ``name`` (``lcsvr``: its gain model, as the default rule),
    asked at the dense checkpoints (``NAME@DELTA@late``: from 10% of the run only)."""
    from nasperf.search import BakerRule, default_checkpoints, dense_checkpoints

    late = name.endswith("+late")
    return BakerRule(
        delta=delta,
        predictor=name.removesuffix("+late"),
        min_completed=min_completed,
        checkpoints=(default_checkpoints if late else dense_checkpoints)(full),
    )


def stop(args) -> None:  # noqa: ANN001
    """Random search over every candidate with each rule, ASHA beside, ``--seeds`` orders."""
    from nasperf.search import TabularBackend, asha, permuted, random_search

    bench = load(args.benchmark, args.curve)
    recs = bench.records()
    archs = [r.arch for r in recs]
    truth = {r.arch: float(r.curves[args.curve][-1]) for r in recs}
    best = max(truth.values())
    full = bench.max_fidelity
    budget = full * len(archs)
    rules = {f"random + {n} rule (Δ={d:g})": (n, d) for n, d in _rule_list(args.rules)}
    methods = {"random (full training)": None, **rules, "ASHA (4 workers)": "asha"}
    rows = []
    for label, how in methods.items():
        tick = time.perf_counter()
        epochs, hits, regret = [], 0, []
        for seed in range(args.seeds):
            order = permuted(archs, seed)
            if how is None:
                res = random_search(TabularBackend(bench), order, budget_epochs=budget)
            elif how == "asha":
                res = asha(TabularBackend(bench), order, budget_epochs=budget, workers=4)
            else:
                rule = rule_for(how[0], how[1], full)
                res = random_search(TabularBackend(bench), order, budget_epochs=budget, rule=rule)
            got = truth[res.best_arch] if res.best_arch is not None else -np.inf
            hits += got >= best - 1e-9
            regret.append(best - got)
            epochs.append(res.epochs_used)
        rows.append(
            [
                label,
                f"{np.mean(epochs):,.0f}",
                "",
                f"{hits}/{args.seeds}",
                f"{np.mean(regret):.3f}",
                f"{time.perf_counter() - tick:.0f}",
            ]
        )
    base = float(rows[0][1].replace(",", ""))
    for r in rows:
        r[2] = f"{base / float(r[1].replace(',', '')):.2f}x"
    print(
        f"{bench.name}: {len(archs)} candidates of {full} epochs, best final val_acc "
        f"{best:.2f}; {args.seeds} seeds, rules active after 10 finished runs, dense checkpoints\n"
    )
    print(
        markdown(
            [
                "method",
                "epochs (mean)",
                "fewer than random",
                "returned the best",
                "mean regret",
                "wall s",
            ],
            rows,
        )
    )


def _rule_list(text: str) -> list[tuple[str, float]]:
    out = []
    for item in text.split(","):
        name, _, delta = item.partition("@")
        out.append((name, float(delta or 0.05)))
    return out


def planted(args) -> None:  # noqa: ANN001
    """The planted test: the 15 best runs kept out of the history, 5 of them among 50 running
    jobs cut at ``--share`` of the run; which would-be winners each rule stops, and which of
    the runs worse than the history's median."""
    from nasperf.search import Run

    recs, full = curve_records(args.benchmark, args.curve)
    y = final(recs, args.curve)
    order = np.argsort(-y)
    top, rest = order[:15], order[15:]
    k = max(1, int(round(args.share * full)))
    counts = {n: np.zeros(4) for n, _ in _rule_list(args.rules)}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        planted_idx = rng.choice(top, 5, replace=False)
        others = rng.choice(rest, 45, replace=False)
        running = np.concatenate([planted_idx, others])
        history = np.setdiff1d(rest, others)
        best = y[history].max()
        median = np.median(y[history])
        for name, delta in _rule_list(args.rules):
            rule = rule_for(name, delta, full)
            for i in history:
                rule.observe(Run.from_record(recs[i], args.curve))
            for i in running:
                run = Run.from_record(recs[i], args.curve, upto=k)
                stopped = rule.probability(run, best) <= delta
                c = counts[name]
                if y[i] > best:
                    c[0] += 1
                    c[1] += stopped
                if y[i] < median:
                    c[2] += 1
                    c[3] += stopped
    print(
        f"{args.benchmark}: planted test, {args.seeds} seeds; history = the runs outside the "
        f"15 best and the 45 other running jobs; running jobs cut at epoch {k} of {full}\n"
    )
    rows = [
        [
            n,
            f"{int(c[1])}/{int(c[0])} ({c[1] / max(c[0], 1):.0%})",
            f"{int(c[3])}/{int(c[2])} ({c[3] / max(c[2], 1):.0%})",
        ]
        for n, c in counts.items()
    ]
    print(markdown(["rule (Δ)", "would-be winners stopped", "runs below the median stopped"], rows))


def prior_plot(args) -> None:  # noqa: ANN001
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(args.seed)
    real = [("nb201-digits", "val_acc"), ("nb201-mnist", "val_acc")]
    if args.real:
        real += [tuple(x.split("@")) if "@" in x else (x, "val_acc") for x in args.real.split(",")]
    fig, axes = plt.subplots(2, 4, figsize=(16, 7.5), constrained_layout=True)
    for ax, length in zip(axes[0], (15, 30, 100, 200), strict=True):
        drawn = sample_studies(rng, 1, 24, length)
        x = np.arange(1, length + 1)
        for c, d in zip(drawn.curves[0], drawn.diverged[0], strict=True):
            ax.plot(x, c, lw=1, color="tab:red" if d else None, alpha=0.8)
        ax.set_title(f"one prior study: 24 runs of {length} epochs")
        ax.set_xlabel("epoch")
        ax.set_ylabel("value (normalised, higher is better)")
    for ax, (name, curve) in zip(axes[1], real[:4], strict=False):
        recs, full = curve_records(name, curve)
        pick = np.random.default_rng(0).choice(len(recs), min(24, len(recs)), replace=False)
        for i in pick:
            v = np.asarray(recs[i].curves[curve])
            ax.plot(np.arange(1, len(v) + 1), v, lw=1, alpha=0.8)
        ax.set_title(f"real: {name}, 24 of {len(recs)} runs")
        ax.set_xlabel("epoch")
        ax.set_ylabel(curve)
    for ax in axes[1][len(real) :]:
        ax.remove()
    fig.suptitle("nasperf's curve prior (top; diverged runs in red) beside real curves (bottom)")
    fig.savefig(args.plot, dpi=90)
    print(f"wrote {args.plot}")


def main() -> None:
    ap = make_parser(__doc__)
    ap.add_argument("what", choices=["prior", "rank", "stop", "planted"])
    ap.add_argument("benchmark", nargs="?", default="nb201-digits")
    ap.add_argument("--curve", default="val_acc")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--train", type=int, default=100)
    ap.add_argument("--test", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--predictors", default="")
    ap.add_argument("--weights", default=None, help="an lc_pfn.pt (default: the shipped one)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--plot", default="docs/lc_prior.png")
    ap.add_argument("--real", default="", help="more real sets for the prior plot (NAME@curve)")
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--slow-trials", type=int, default=3, help="rank: trials of LCE-m")
    ap.add_argument(
        "--rules",
        default="lcsvr@0.1,lc-pfn@0.05,lc-pfn-study@0.05",
        help="curve models of Baker's rule, NAME@DELTA",
    )
    ap.add_argument("--share", type=float, default=0.1, help="planted: where running jobs are cut")
    args = ap.parse_args()
    {"prior": prior_plot, "rank": rank, "stop": stop, "planted": planted}[args.what](args)


if __name__ == "__main__":
    main()
