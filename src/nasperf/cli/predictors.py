"""``nasperf predictors``: the predictors, their families and what each needs."""

from __future__ import annotations

from typing import Any

from .console import new_table, out

__all__ = ["predictors", "predictor_row"]


def predictors() -> None:
    """List the predictors: family, what each needs, its paper, and White et al.'s 31 marked."""
    from ..predictors import PREDICTORS
    from ..predictors.registry import COLUMN_PREFIX, WHITE_ET_AL

    table = new_table(
        "predictors (W: one of White et al. 2021's 31; the others are additions)",
        ("name", "family", "W", "requires", "extra", "what", "paper"),
    )
    white = {name for names in WHITE_ET_AL.values() for name in names}
    for name, spec in PREDICTORS.items():
        name, family, requires, extra, what = predictor_row(name, spec)
        mark = "W" if name in white else ""
        table.add_row(name, family, mark, requires, extra, what, spec.meta.get("paper", ""))
    table.add_row(
        COLUMN_PREFIX + "NAME",
        "baseline",
        "",
        "scores=NAME; no training data",
        "",
        "a numeric column (params, FLOPs, a proxy) as the score",
        "",
    )
    table.add_row(
        COLUMN_PREFIX + "-NAME",
        "baseline",
        "",
        "scores=NAME; no training data",
        "",
        "minus a numeric column where lower is better (a loss, latency)",
        "",
    )
    out.print(table)


def predictor_row(name: str, spec: Any) -> tuple[str, str, str, str, str]:
    """The row of the predictor registered as ``name`` (``spec``: its registry entry): its
    name, family, what it requires, its optional-dependency extra and whether that is
    installed, and the registry's summary.

    What a predictor is and needs comes from its ``capabilities()``, through the generated
    catalog (so listing imports no predictor).
    """
    from ..predictors.registry import listed_capabilities

    family, requires, extra = listed_capabilities(name)
    return name, family, requires, _extra_status(extra), spec.summary


def _extra_status(extra: str | None) -> str:
    """``""`` without an extra, else ``"EXTRA (installed)"`` or ``"EXTRA (missing)"``."""
    from ..registry import extra_installed

    if not extra:
        return ""
    return f"{extra} ({'installed' if extra_installed(extra) else 'missing'})"
