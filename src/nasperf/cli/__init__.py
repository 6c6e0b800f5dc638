"""The ``nasperf`` command line: evaluate predictors, compute proxies, make benchmarks, search,
estimate, and list benchmarks and predictors.

One module per command; :mod:`~nasperf.cli.options` defines the options several commands share
(one name, one meaning, one default), :mod:`~nasperf.cli.live` the live-training options as one
object, :mod:`~nasperf.cli.console` the consoles, progress bar and tables and
:mod:`~nasperf.cli.parsing` the list parsers; :mod:`~nasperf.cli.app` puts them together.
"""

from __future__ import annotations

from .app import app, main

__all__ = ["app", "main"]
