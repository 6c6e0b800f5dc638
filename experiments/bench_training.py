"""Images per second of the nasperf Trainer against a minimal hand-written PyTorch loop.

Both train the same NB201 network (same initial weights) on the same data with SGD (Nesterov,
momentum 0.9, weight decay 5e-4), a per-epoch cosine schedule and batch ``--batch-size``, and
evaluate the validation split after every epoch. Runs alternate (loop, Trainer, loop, ...) so
that both see the same machine load; the median of ``--repeats`` runs is reported. Target: the
Trainer within 10% of the hand-written loop.

    python experiments/bench_training.py --dataset digits --epochs 5 --repeats 5
"""

from __future__ import annotations

import math
import statistics
import time

import torch
import torch.nn.functional as F
from harness import parser as make_parser

from nasperf.data import load_dataset
from nasperf.spaces import get_space
from nasperf.training import TrainConfig, Trainer

ARCH = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
    "+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|"
)


def hand_loop(model: torch.nn.Module, data, epochs: int, batch_size: int, lr: float) -> float:  # noqa: ANN001
    """The minimal loop: returns seconds of training + per-epoch validation."""
    x_tr = torch.as_tensor(data.x_train)
    y_tr = torch.as_tensor(data.y_train)
    x_va = torch.as_tensor(data.x_val)
    y_va = torch.as_tensor(data.y_val)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for epoch in range(epochs):
        for group in opt.param_groups:
            group["lr"] = 0.5 * lr * (1 + math.cos(math.pi * epoch / epochs))
        model.train()
        order = torch.randperm(len(x_tr), generator=gen)
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x_tr[idx]), y_tr[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct = 0
            for i in range(0, len(x_va), 512):
                correct += int((model(x_va[i : i + 512]).argmax(1) == y_va[i : i + 512]).sum())
    return time.perf_counter() - start


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    data = load_dataset(args.dataset)
    space = get_space("nb201")
    shape = data.input_shape

    def fresh() -> torch.nn.Module:
        torch.manual_seed(0)
        return space.build(ARCH, in_channels=shape[0], num_classes=data.num_classes)

    config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, num_threads=args.threads
    )
    n_images = len(data.x_train) * args.epochs
    hand_loop(fresh(), data, 1, args.batch_size, args.lr)  # warm-up
    Trainer(TrainConfig(epochs=1, batch_size=args.batch_size)).fit(fresh(), data)
    loop_s, trainer_s = [], []
    for _ in range(args.repeats):
        loop_s.append(hand_loop(fresh(), data, args.epochs, args.batch_size, args.lr))
        model = fresh()
        t0 = time.perf_counter()
        Trainer(config).fit(model, data)
        trainer_s.append(time.perf_counter() - t0)
    loop_med, trainer_med = statistics.median(loop_s), statistics.median(trainer_s)
    print(f"{args.dataset}, {len(data.x_train)} training images, {args.epochs} epochs, batch "
          f"{args.batch_size}, {args.threads} thread(s), median of {args.repeats}")  # fmt: skip
    print("| loop | images / s | median s |")
    print("|---|---|---|")
    print(f"| hand-written | {n_images / loop_med:.0f} | {loop_med:.3f} |")
    print(f"| nasperf Trainer | {n_images / trainer_med:.0f} | {trainer_med:.3f} |")
    print(f"Trainer / hand-written time: {trainer_med / loop_med:.3f}")


if __name__ == "__main__":
    main()
