#!/usr/bin/env bash
# The GPU check of issue 12: make-benchmark on CUDA and on the CPU of the same machine, timed,
# plus the device tests. Run on a machine with a GPU from the repository root; writes to $OUT.
set -u
export PYTHONPATH=src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
OUT=${OUT:-runs/gpu_check}
mkdir -p "$OUT"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
for dev in cuda cpu; do
  start=$(date +%s.%N)
  python3 -m nasperf.cli make-benchmark --dataset digits --cells 6 --epochs 5 --limit 500 \
    --val-fraction 0.25 --batch-size 64 --device $dev --proxies synflow,params,flops,jacov,nwot \
    --out "$OUT/$dev" 2>&1 | tail -2
  end=$(date +%s.%N)
  echo "$dev: $(python3 -c "print(f'{$end - $start:.1f}')") s"
done
python3 - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
rows = {d: {r["arch"]: r for r in map(json.loads, (out / d / "cells.jsonl").read_text().splitlines())} for d in ("cuda", "cpu")}
for arch, g in rows["cuda"].items():
    c = rows["cpu"][arch]
    print(g["status"], c["status"], "final val acc cuda %.2f cpu %.2f" % (g["final_val_acc"], c["final_val_acc"]),
          "params equal", g["params_m"] == c["params_m"], "synflow rel diff %.2e" % (abs(g["scores"]["synflow"] - c["scores"]["synflow"]) / abs(c["scores"]["synflow"])))
PY
python3 -m pytest -q -p no:cacheprovider tests/cli/test_cli_make_benchmark.py tests/training 2>&1 | tail -3
