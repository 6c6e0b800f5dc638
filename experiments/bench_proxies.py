"""Seconds per NB201 cell for each zero-cost proxy, and memory over many cells (`make bench`).

Each proxy is timed alone (``compute_proxy``) and all fifteen together (``compute_proxies``,
which shares the train-mode pass among the proxies that read it) on ``--cells`` sampled NB201
cells, batch ``--batch-size`` of MNIST resized to 3x32x32, ``--threads`` torch threads. Then all
fifteen run over ``--memory-cells`` cells while the resident set size is sampled after each cell,
to show that memory stays flat. Prints markdown tables for docs/RESULTS.md.
"""

from __future__ import annotations

import json
import resource
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from harness import parser as make_parser

from nasperf.benchmarks import select_cells
from nasperf.data import load_dataset
from nasperf.predictors.zero_cost import PROXY_NAMES, compute_proxies, compute_proxy
from nasperf.spaces import get_space


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--cells", type=int, default=10)
    parser.add_argument("--memory-cells", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    data = load_dataset(args.dataset, size=32, channels=3, seed=args.seed)
    x, y = data.batch(args.batch_size, "train", seed=args.seed)
    space = get_space("nb201")
    cells = select_cells("nb201", args.cells + args.memory_cells, args.seed + 1)
    timed, memory_cells = cells[: args.cells], cells[args.cells :]

    def build(arch: str) -> torch.nn.Module:
        torch.manual_seed(args.seed)
        return space.build(arch, in_channels=3, num_classes=data.num_classes)

    compute_proxies(build(timed[0]), x, y)  # warm-up (allocator, kernels)
    per_proxy: dict[str, list[float]] = {p: [] for p in PROXY_NAMES}
    together: list[float] = []
    for arch in timed:
        model = build(arch)
        for name in PROXY_NAMES:
            t0 = time.perf_counter()
            compute_proxy(name, model, x, y)
            per_proxy[name].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        compute_proxies(model, x, y)
        together.append(time.perf_counter() - t0)

    print(f"\n{args.cells} NB201 cells, batch {args.batch_size}, {args.threads} torch threads\n")
    print("| proxy | mean s / cell | max s / cell |")
    print("|---|---|---|")
    for name, times in per_proxy.items():
        print(f"| {name} | {statistics.mean(times):.3f} | {max(times):.3f} |")
    sum_alone = sum(statistics.mean(t) for t in per_proxy.values())
    print(f"| sum of the 15 alone | {sum_alone:.3f} | |")
    print(f"| all 15 (compute_proxies) | {statistics.mean(together):.3f} | {max(together):.3f} |")

    trace = []
    for i, arch in enumerate(memory_cells):
        compute_proxies(build(arch), x, y)
        trace.append(rss_mb())
        if i % 50 == 0:
            print(f"memory: cell {i} rss {trace[-1]:.0f} MB", flush=True)
    third = max(1, len(trace) // 3)
    first, last = statistics.mean(trace[:third]), statistics.mean(trace[-third:])
    slope = float(np.polyfit(np.arange(len(trace)), trace, 1)[0]) if len(trace) > 1 else 0.0
    print(
        f"\nmemory over {len(trace)} cells: peak {max(trace):.0f} MB, first third mean "
        f"{first:.0f} MB, last third mean {last:.0f} MB, slope {1000 * slope:.1f} MB per 1000 cells"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "per_proxy_mean_s": {k: statistics.mean(v) for k, v in per_proxy.items()},
                    "all_mean_s": statistics.mean(together),
                    "rss_mb": trace,
                    "threads": args.threads,
                    "batch_size": args.batch_size,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
