"""The settings of White et al.'s protocol, checked in one place (:class:`ProtocolConfig`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..exceptions import ConfigurationError
from ..validation import Interval, Predicate, Validated, is_int

__all__ = ["ProtocolConfig", "WHITE_TRAIN_SIZES"]

#: train sizes of White et al. (log-spaced 5..1000)
WHITE_TRAIN_SIZES = (5, 8, 14, 24, 42, 71, 121, 205, 347, 589, 1000)


def _whole_epochs(values: object) -> bool:
    return isinstance(values, (tuple, list)) and len(values) > 0 and all(
        is_int(v) and v >= 1 for v in values
    )


def _sizes(values: object) -> bool:
    return isinstance(values, (tuple, list)) and len(values) > 0 and all(
        is_int(v) and v >= 0 for v in values
    )


@dataclass(frozen=True)
class ProtocolConfig(Validated):
    """Settings of one evaluation; ``test_size=None`` uses every candidate not used for training."""

    train_sizes: tuple[int, ...] = (14, 24, 42, 71, 121, 205, 347, 589, 1000)
    test_size: int | None = 200
    trials: int = 20
    seed: int = 0
    metrics: tuple[str, ...] | None = None
    fidelities: tuple[int, ...] | None = None

    _parameter_constraints = {
        "train_sizes": [Predicate(_sizes, "one or more whole numbers >= 0")],
        "test_size": [Interval(int, 2, None), None],
        "trials": [Interval(int, 1, None)],
        "seed": [Interval(int, 0, None)],
        "fidelities": [Predicate(_whole_epochs, "whole numbers of epochs >= 1"), None],
    }

    def validate(
        self, pool_size: int, needs_training: bool, min_train: tuple[str, int] | None = None
    ) -> None:
        """Raise ConfigurationError for settings impossible on ``pool_size`` candidates, before
        any work starts (the settings themselves are checked when the config is made).

        ``min_train``: the predictor that needs the most training records, and how many.
        """
        if needs_training and min(self.train_sizes) < 2:
            raise ConfigurationError(
                "a predictor that learns from data needs train sizes of at least 2; "
                "train size 0 only suits predictors that need no training data (col:NAME)"
            )
        if min_train is not None and min(self.train_sizes) < min_train[1]:
            raise ConfigurationError(
                f"{min_train[0]} needs at least {min_train[1]} training records, but a train "
                f"size is {min(self.train_sizes)}; raise the smallest --train-sizes"
            )
        needed = max(self.train_sizes) + (self.test_size or 2)
        if needed > pool_size:
            raise ConfigurationError(
                f"largest train size {max(self.train_sizes)} + test size "
                f"{self.test_size or 2} = {needed} exceeds the {pool_size} usable candidates; "
                "lower --train-sizes or --test-size"
            )
