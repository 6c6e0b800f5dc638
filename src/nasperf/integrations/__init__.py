"""Integrations with other tools; each module imports its tool (an optional extra) on import.

- :mod:`nasperf.integrations.optuna`: :class:`PredictivePruner`, Baker et al.'s rule as an
  Optuna pruner (``pip install 'nasperf[optuna]'``).
- :mod:`nasperf.integrations.ray_tune`: :class:`PredictiveScheduler`, the same rule as a Ray Tune
  scheduler (``pip install 'nasperf[ray]'``).
- :mod:`nasperf.integrations.stop_check`: :func:`stop_check`, the same rule for jobs nasperf
  does not run, on curves read from files (``nasperf stop-check``); it needs no extra.
"""
