"""Must-show table of issue 16: OMNI and omni-cv against the best single predictor, per size.

Reads finished ``nasperf evaluate --out`` directories and prints, for each train size, the
mean Kendall τ (± standard error over trials) of the combined predictors and of the best single
predictor of the same run (its name), and the gain of each combination over it.

    python experiments/omni_table.py runs/omni/nb201+runs/omni/nb201-cv \
        runs/omni/sz-nb101+runs/omni/sz-nb101-cv runs/omni/sz-nb301+runs/omni/sz-nb301-cv
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from harness import evaluation_journal
from harness import parser as make_parser

COMBINED = ("omni", "omni-xgb", "omni-cv")


def _rows(run: Path) -> pd.DataFrame:
    """A run's rows: ``rows.csv`` when it finished, else the trials its journal holds."""
    if (run / "rows.csv").is_file():
        return pd.read_csv(run / "rows.csv")
    rows = [
        {**r, "predictor": entry["predictor"], "trial": entry["trial"]}
        for entry in evaluation_journal(run).read()
        for r in entry["rows"]
    ]
    return pd.DataFrame(rows)


def _trials(df: pd.DataFrame, predictor: str) -> int:
    return int(df.loc[df["predictor"] == predictor, "trial"].nunique())


def read(spec: str) -> tuple[str, pd.DataFrame]:
    """``DIR`` or ``DIR+DIR2+...``: the rows of the runs, a predictor of a later run replacing
    the same predictor of an earlier one (a rerun after a change)."""
    frames = [_rows(Path(d)) for d in spec.split("+")]
    df = frames[0]
    for later in frames[1:]:
        df = pd.concat([df[~df["predictor"].isin(later["predictor"])], later])
    return Path(spec.split("+")[0]).name, df


def table(spec: str, combined: tuple[str, ...]) -> str:
    name, df = read(spec)
    stats = df.groupby(["predictor", "train_size"])["kendall_tau"].agg(["mean", "sem", "count"])
    sizes = sorted(df["train_size"].unique())
    singles = [p for p in df["predictor"].unique() if p.split("[")[0] not in combined]
    lines = [
        f"**{name}** ({int(stats['count'].max())} trials)",
        "",
        "| n | best single | τ | "
        + " | ".join(f"{c} τ (gain), {_trials(df, c)} trials" for c in combined)
        + " |",
        "|---|---|---|" + "---|" * len(combined),
    ]
    for n in sizes:
        best = max(singles, key=lambda p: stats.loc[(p, n), "mean"])
        b = stats.loc[(best, n), "mean"]
        cells = []
        for c in combined:
            if (c, n) in stats.index:
                m, s = stats.loc[(c, n), ["mean", "sem"]]
                cells.append(f"{m:.3f}±{s:.3f} ({m - b:+.3f})")
            else:
                cells.append("")
        sb = stats.loc[(best, n), "sem"]
        lines.append(f"| {n} | {best} | {b:.3f}±{sb:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = make_parser(__doc__)
    ap.add_argument("runs", nargs="+", help="DIR, or DIR+DIR2 where DIR2 reruns some predictors")
    ap.add_argument("--combined", default=",".join(COMBINED))
    ap.add_argument(
        "--write",
        type=Path,
        help="with one DIR+DIR2 run: write the merged rows there (rows.csv, result.json)",
    )
    args = ap.parse_args()
    if args.write:
        first = Path(args.runs[0].split("+")[0])
        _, df = read(args.runs[0])
        args.write.mkdir(parents=True, exist_ok=True)
        df.to_csv(args.write / "rows.csv", index=False)
        meta = json.loads((first / "result.json").read_text())
        meta["merged_from"] = args.runs[0]
        (args.write / "result.json").write_text(json.dumps(meta))
    for run in args.runs:
        print(table(run, tuple(args.combined.split(","))))
        print()


if __name__ == "__main__":
    main()
