"""One figure of Kendall τ against train size on several protocol runs (``nasperf evaluate
--out``), one panel per benchmark, the representation predictors drawn solid and the others
dashed, for docs/RESULTS.md (issue 15).

    python experiments/repr_plot.py runs/repr/nb201 runs/repr/sz-nb101 runs/repr/sz-nb301 \\
        --out docs/repr_protocol.png --table
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from harness import evaluation_journal
from harness import parser as make_parser

#: predictors that learn a representation of the cell (issue 15)
LEARNED = ("emprox", "nao", "seminas", "gcn", "bonas", "gp-wl")
TITLES = {
    "nb201-cifar10": "NB201 CIFAR-10 (15,625 cells)",
    "suite-zero-nb101": "Suite-Zero NB101 (500 cells)",
    "suite-zero-nb301": "Suite-Zero NB301 / DARTS (500 cells)",
}


def load(run: Path) -> tuple[str, pd.DataFrame]:
    """The run's summary; from its journal (``trials.jsonl``, the trials finished so far, with
    their count per predictor in ``trials``) when the run has no summary yet."""
    journal = evaluation_journal(run)
    settings = journal.saved_settings() or {}
    name = settings.get("benchmark", run.name)
    if (run / "summary.csv").exists():
        summary = pd.read_csv(run / "summary.csv")
        summary["trials"] = settings["config"]["trials"]
        return name, summary
    rows = [row for entry in journal.read() for row in entry["rows"]]
    frame = pd.DataFrame(rows)
    order = list(dict.fromkeys(frame["predictor"]))
    summary = (
        frame.groupby(["predictor", "train_size"], sort=False)
        .agg(
            kendall_tau_mean=("kendall_tau", "mean"),
            kendall_tau_std=("kendall_tau", "std"),
            fit_time_mean=("fit_time", "mean"),
            trials=("trial", "nunique"),
        )
        .reset_index()
    )
    summary["predictor"] = pd.Categorical(summary["predictor"], order, ordered=True)
    summary = summary.sort_values(["predictor", "train_size"])
    summary["predictor"] = summary["predictor"].astype(str)
    return name, summary


def table(name: str, summary: pd.DataFrame) -> str:
    sizes = sorted(summary["train_size"].unique())
    lines = [
        f"{TITLES.get(name, name)}, Kendall τ (mean over trials):",
        "",
        "| predictor | trials | " + " | ".join(str(n) for n in sizes) + " | fit s at the largest |",
        "|---|---|" + "---|" * (len(sizes) + 1),
    ]
    for pred, part in summary.groupby("predictor", sort=False):
        by_n = part.set_index("train_size")
        cells = [f"{by_n.at[n, 'kendall_tau_mean']:.3f}" if n in by_n.index else "" for n in sizes]
        best = {n: summary[summary.train_size == n].kendall_tau_mean.max() for n in sizes}
        cells = [
            f"**{c}**" if c and abs(float(c) - best[n]) < 5e-4 else c
            for c, n in zip(cells, sizes, strict=True)
        ]
        fit = by_n.loc[max(by_n.index), "fit_time_mean"]
        trials = int(part["trials"].min())
        lines.append(f"| {pred} | {trials} | " + " | ".join(cells) + f" | {fit:.2f} |")
    return "\n".join(lines)


def main() -> None:
    ap = make_parser(__doc__)
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--table", action="store_true", help="also print markdown tables")
    args = ap.parse_args()
    runs = [load(r) for r in args.runs]
    fig, axes = plt.subplots(1, len(runs), figsize=(5.2 * len(runs), 4.6), squeeze=False)
    names = list(dict.fromkeys(p for _, s in runs for p in s["predictor"]))
    cmap = plt.get_cmap("tab20")
    colour = {p: cmap(i % 20) for i, p in enumerate(names)}
    for ax, (bench, summary) in zip(axes[0], runs, strict=True):
        for pred, part in summary.groupby("predictor", sort=False):
            part = part.sort_values("train_size")
            learned = pred.split("[")[0] in LEARNED
            ax.plot(
                part["train_size"],
                part["kendall_tau_mean"],
                marker="o" if learned else ".",
                linestyle="-" if learned else "--",
                linewidth=2.0 if learned else 1.0,
                color=colour[pred],
                label=pred,
            )
        ax.set_xscale("log")
        sizes = sorted(summary["train_size"].unique())
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(n) for n in sizes], rotation=45)
        ax.minorticks_off()
        ax.set_xlabel("training architectures")
        ax.set_ylabel("Kendall τ on the test set")
        ax.set_title(TITLES.get(bench, bench), fontsize=10)
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=min(len(labels), 7),
        fontsize=9,
        title="solid: learned representations (issue 15); dashed: encoding-based",
    )
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    if args.table:
        for bench, summary in runs:
            print(table(bench, summary) + "\n")


if __name__ == "__main__":
    main()
