"""Our zero-cost proxies (a `nasperf proxies` table) against NB201 CIFAR-10 and Suite-Zero.

For each proxy in the table: the Spearman correlation with ``val_acc_200ep`` over the table's
cells where it has a value, the same for the published Suite-Zero column (``sz_*``) on the cells
where both exist, and the Spearman between ours and the published values. Prints a markdown
table for docs/RESULTS.md. Needs NASPERF_DATA.

    python experiments/proxy_correlations.py runs/proxies/nb201_mnist_1000.csv
"""

from __future__ import annotations

import numpy as np
from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark, read_proxy_table
from nasperf.stats import spearman

# Published Spearman with val_acc_200ep on NB201 CIFAR-10 (METHODS.md, section 6)
PUBLISHED = {
    "jacov": 0.82,
    "nwot": 0.79,
    "synflow": 0.73,
    "params": 0.75,
    "flops": 0.71,
    "snip": 0.55,
    "zen": 0.36,
    "meco": 0.89,
}
SUITE_ZERO = {
    "synflow": "sz_synflow",
    "snip": "sz_snip",
    "grasp": "sz_grasp",
    "fisher": "sz_fisher",
    "jacov": "sz_jacov",
    "grad_norm": "sz_grad_norm",
    "plain": "sz_plain",
    "l2_norm": "sz_l2_norm",
    "nwot": "sz_nwot",
    "epe_nas": "sz_epe_nas",
    "zen": "zen",
    "params": "sz_params",
    "flops": "sz_flops",
}


def rho(a: np.ndarray, b: np.ndarray) -> float:
    return float(spearman(a, b))


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("table")
    args = parser.parse_args()
    table = read_proxy_table(args.table)
    bench = load_benchmark("nb201-cifar10")
    recs = [bench.query(arch) for arch in table]
    present = {p for row in table.values() for p in row}
    proxies = [p for p in [*SUITE_ZERO, "zico", "meco"] if p in present]
    print(f"{len(table)} cells\n")
    print(
        "| proxy | cells with a value | Spearman, ours | ours, all cells (no value = last) "
        "| published column on the same cells | published (METHODS.md) "
        "| Spearman ours vs published column |"
    )
    print("|---|---|---|---|---|---|---|")
    for p in proxies:
        ours = np.array([table[r.arch].get(p, np.nan) for r in recs])
        y = np.array([r.target for r in recs])
        ok = np.isfinite(ours)
        col = SUITE_ZERO.get(p)
        pub = np.array([r.scores.get(col, np.nan) if col else np.nan for r in recs])
        both = ok & np.isfinite(pub)
        same_cells = f"{rho(pub[both], y[both]):.3f} ({both.sum()} cells)" if both.sum() > 2 else ""
        vs = f"{rho(ours[both], pub[both]):.3f}" if both.sum() > 2 else ""
        published = f"{PUBLISHED[p]:.2f}" if p in PUBLISHED else ""
        print(
            f"| {p} | {ok.sum()} | {rho(ours[ok], y[ok]):.3f} "
            f"| {rho(np.where(ok, ours, -np.inf), y):.3f} | {same_cells} | {published} | {vs} |"
        )
    print()
    for p, col in (("params", "params_m"), ("params", "sz_params"), ("flops", "sz_flops")):
        pairs = [
            (table[r.arch][p], r.scores[col])
            for r in recs
            if p in table[r.arch] and col in r.scores
        ]
        if not pairs:
            continue
        # the published columns keep 6 significant digits
        same = sum(
            float(f"{ours:.6g}") == float(f"{pub:.6g}") or abs(ours - pub) <= 5e-6 * abs(pub)
            for ours, pub in pairs
        )
        print(f"{p} equals {col} (to its 6 significant digits) on {same} of {len(pairs)} cells")


if __name__ == "__main__":
    main()
