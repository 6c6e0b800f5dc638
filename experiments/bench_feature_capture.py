"""Overhead of feature capture per epoch and the memory a candidate's feature history takes.

Trains the same NB201 cell (same initial weights) for ``--epochs`` epochs with and without
:class:`FeatureCapture` (probe of ``--probe-size`` training images plus the validation split,
float16), alternating runs, median of ``--repeats``.

    python experiments/bench_feature_capture.py --dataset digits --epochs 3 --repeats 5
"""

from __future__ import annotations

import statistics
import time

import torch
from harness import parser as make_parser

from nasperf.data import load_dataset
from nasperf.spaces._nb201_net import build_nb201_network
from nasperf.training import FeatureCapture, TrainConfig, Trainer, seeded

ARCH = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|"
)


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--val-fraction", type=float, default=0.25)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--probe-size", type=int, default=256)
    parser.add_argument("--C", type=int, default=16)
    parser.add_argument("--N", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_dataset(args.dataset, limit=args.limit, val_fraction=args.val_fraction)
    config = TrainConfig(epochs=args.epochs, batch_size=64, lr=0.1, seed=0)

    def model():  # noqa: ANN202
        with seeded(0):
            return build_nb201_network(
                ARCH,
                C=args.C,
                N=args.N,
                in_channels=data.input_shape[0],
                num_classes=data.num_classes,
            )

    plain, captured, nbytes = [], [], 0
    for _ in range(args.repeats):
        tick = time.perf_counter()
        Trainer(config).fit(model(), data)
        plain.append(time.perf_counter() - tick)
        capture = FeatureCapture(probe_size=args.probe_size)
        tick = time.perf_counter()
        Trainer(config, [capture]).fit(model(), data)
        captured.append(time.perf_counter() - tick)
        nbytes = capture.used_bytes
        dim = capture.train_features.shape[-1]
    p, c = statistics.median(plain), statistics.median(captured)
    n_val = len(data.y_val)
    print(
        f"{args.dataset}: NB201 C={args.C} N={args.N}, {len(data.y_train)} training and "
        f"{n_val} validation images, {args.epochs} epochs, 1 thread, median of {args.repeats}"
    )
    print("| | seconds per epoch |")
    print("|---|---|")
    print(f"| training | {p / args.epochs:.3f} |")
    print(f"| training + feature capture | {c / args.epochs:.3f} |")
    print(
        f"\noverhead of capture: {100 * (c - p) / p:.1f}% per epoch; features per candidate: "
        f"{nbytes / 1024:.0f} KiB for {args.epochs} epochs = ({args.probe_size} probe + {n_val} "
        f"validation images) x {dim} features x 2 bytes x epochs"
    )


if __name__ == "__main__":
    main()
