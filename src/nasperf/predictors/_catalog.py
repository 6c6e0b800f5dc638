"""What each registered predictor is and needs, as its ``capabilities()`` say: a generated copy
read by ``nasperf predictors`` so that listing imports no predictor (and no scientific stack).

Regenerate after adding or changing a predictor: ``python -m nasperf.predictors.registry``
(a test fails while this copy differs from the classes).
"""

from __future__ import annotations

__all__ = ["CATALOG"]

#: name -> (family, what it requires, optional-dependency extra or None)
CATALOG: dict[str, tuple[str, str, str | None]] = {
    "xgb": ("model-based", "encoding=default", "trees"),
    "lgb": ("model-based", "encoding=default", "trees"),
    "rf": ("model-based", "encoding=default", None),
    "ngb": ("model-based", "encoding=default", "trees"),
    "gp": ("model-based", "encoding=default", None),
    "blr": ("model-based", "encoding=default", None),
    "dngo": ("model-based", "encoding=default", "torch"),
    "bohamiann": ("model-based", "encoding=default", "torch"),
    "mlp": ("model-based", "encoding=default", "torch"),
    "bananas": ("model-based", "encoding=path", "torch"),
    "emprox": ("model-based", "encoding=seq", "torch"),
    "nao": ("model-based", "encoding=seq", "torch"),
    "seminas": ("model-based", "encoding=seq", "torch"),
    "gcn": ("model-based", "encoding=graph", "torch"),
    "bonas": ("model-based", "encoding=graph", "torch"),
    "gp-wl": ("model-based", "encoding=graph", "graph"),
    "sparse-gp": ("model-based", "encoding=default", "gp"),
    "var-sparse-gp": ("model-based", "encoding=default", "gp"),
    "early-stop-acc": ("learning-curve", "curve=val_acc[:5]; no training data", None),
    "early-stop-loss": ("learning-curve", "curve=val_loss[:5]; no training data", None),
    "sotl": ("learning-curve", "curve=train_loss[:5]; no training data", None),
    "sotl-e": ("learning-curve", "curve=train_loss[:5]; no training data", None),
    "sotl-ema": ("learning-curve", "curve=train_loss[:5]; no training data", None),
    "lce": ("learning-curve", "curve=val_acc[:5]; no training data", None),
    "lce-m": ("learning-curve", "curve=val_acc[:5]; no training data", "mcmc"),
    "lc-pfn": ("learning-curve", "curve=val_acc[:5]", "torch"),
    "lc-pfn-study": ("learning-curve", "curve=val_acc[:5]", "torch"),
    "lcsvr": ("hybrid", "curve=val_acc[:5]", None),
    "lc-rf": ("hybrid", "curve=val_acc[:5]", None),
    "lc-br": ("hybrid", "curve=val_acc[:5]", None),
    "omni": ("hybrid", "encoding=default", "trees"),
    "omni-xgb": ("hybrid", "encoding=default", "trees"),
    "omni-cv": ("hybrid", "encoding=default", "trees"),
    "feature-history": ("training-based", "live model + data; no training data", "torch"),
    "fear": ("training-based", "live model + data; no training data", "torch"),
    "oneshot": ("weight-sharing", "nb201 cells + live data; no training data", "torch"),
    "rs-ws": ("weight-sharing", "nb201 cells + live data; no training data", "torch"),
    "zc-synflow": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-snip": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-grasp": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-fisher": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-jacov": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-grad_norm": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-plain": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-l2_norm": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-nwot": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-epe_nas": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-zen": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-params": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-flops": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-zico": ("zero-cost", "live model + data; no training data", "torch"),
    "zc-meco": ("zero-cost", "live model + data; no training data", "torch"),
}  # fmt: skip

