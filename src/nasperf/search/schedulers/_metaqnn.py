"""MetaQNN (Baker et al., ICLR 2017): tabular Q-learning over an architecture's sequential
choices, ε-greedy with ε lowered in steps, and experience replay.

On NB201 the choices are the six edges' operations in order; a state is (edge, the operation
chosen on the edge before). The reward is the validation value of the trained candidate
(scaled by ``reward_scale``: percent to [0, 1]). On a table only the operations that lead to a
candidate it holds and that was not evaluated yet can be chosen.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np

from ...exceptions import ConfigurationError
from ...validation import Interval, Validated
from .._loop import Scheduler, SearchState
from .._types import Job, Run

__all__ = ["MetaQNN", "metaqnn_schedule"]

#: Baker et al.'s schedule (their Table 2): 1,500 models at ε = 1, 100 at each of 0.9, 0.8 and
#: 0.7, then 150 at each of 0.6 ... 0.1 (2,700 models)
PAPER_SCHEDULE: tuple[tuple[float, int], ...] = (
    (1.0, 1500),
    (0.9, 100),
    (0.8, 100),
    (0.7, 100),
    (0.6, 150),
    (0.5, 150),
    (0.4, 150),
    (0.3, 150),
    (0.2, 150),
    (0.1, 150),
)


def metaqnn_schedule(models: int) -> list[tuple[float, int]]:
    """Baker et al.'s ε schedule scaled to ``models`` evaluations: each ε keeps its share of
    the paper's 2,700 models (1,500 at ε = 1), rounded so that the steps add up to ``models``."""
    if models < 1:
        raise ConfigurationError(f"a schedule needs at least one model, got {models}")
    total = sum(n for _, n in PAPER_SCHEDULE)
    out, given, share = [], 0, 0.0
    for eps, n in PAPER_SCHEDULE:
        share += models * n / total
        count = round(share) - given
        if count > 0:
            out.append((eps, count))
            given += count
    return out


class MetaQNN(Validated, Scheduler):
    """MetaQNN's Q-learning search on NB201 cells.

    ``schedule`` lists (ε, models) steps and the search ends with it (default: Baker et al.'s,
    scaled to the budget's evaluations by :func:`metaqnn_schedule`; the paper's 2,700 models
    without a budget), or when a table has no candidate left.
    After each evaluated model, ``replay`` models drawn uniformly from all those seen so far
    (this one included) update the Q-values along their trajectories, last choice first
    (learning rate ``alpha``, discount ``gamma``, Q-values start at ``q_init``; the paper: α
    0.01, γ 1, 100 replays, as its Algorithm 1). A run stopped
    early by Baker's rule is remembered with its predicted final value (Baker et al. 2018),
    one stopped by another rule with the last value it reached; a failed run with 0.
    """

    name = "metaqnn"
    _parameter_constraints = {
        "alpha": [Interval(float, 0, 1, closed="right")],
        "gamma": [Interval(float, 0, 1, closed="right")],
        "replay": [Interval(int, 0, None)],
    }

    def __init__(
        self,
        schedule: Sequence[tuple[float, int]] | None = None,
        *,
        alpha: float = 0.01,
        gamma: float = 1.0,
        replay: int = 100,
        q_init: float = 0.5,
        reward_scale: float = 0.01,
    ) -> None:
        self._validate({"alpha": alpha, "gamma": gamma, "replay": replay})
        if schedule is not None:
            schedule = [(float(e), int(n)) for e, n in schedule]
            if not schedule or any(not 0 <= e <= 1 or n < 1 for e, n in schedule):
                raise ConfigurationError(
                    f"schedule must list (epsilon in 0..1, models >= 1) steps, got {schedule}"
                )
        self.schedule = schedule
        self.alpha = float(alpha)
        self.gamma = float(gamma)
        self.replay = replay
        self.q_init = float(q_init)
        self.reward_scale = float(reward_scale)

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        space = state.space
        if not hasattr(space, "to_tuple") or state.space.name != "nb201":
            raise ConfigurationError(
                f"MetaQNN's choices are NB201's six edge operations; space {space.name!r} "
                "has no such sequence"
            )
        top = state.max_epochs
        if state.budget_epochs is not None and state.budget_epochs < top:
            raise ConfigurationError(
                f"a budget of {state.budget_epochs} epochs is too small for metaqnn: one "
                f"evaluation takes {top}; give a budget of at least {top}"
            )
        if self.schedule is not None:
            self.steps = list(self.schedule)
        elif state.budget_epochs is not None:
            self.steps = metaqnn_schedule(state.budget_epochs // top)
        else:
            self.steps = list(PAPER_SCHEDULE)
        from ...spaces.nb201 import OPS

        self.n_ops = len(OPS)
        archs = state.archs()
        pool = space.all_archs() if archs is None else archs
        self._open: dict[tuple[int, ...], int] = {}  # prefix -> candidates not yet started
        for arch in pool:
            if arch not in state.seen:
                self._add(tuple(space.to_tuple(arch)), 1)
        self.q: dict[tuple[int, int, int], float] = {}
        self.memory: list[tuple[tuple[int, ...], float]] = []
        self.started = 0

    def _add(self, ops: tuple[int, ...], delta: int) -> None:
        for i in range(len(ops) + 1):
            self._open[ops[:i]] = self._open.get(ops[:i], 0) + delta

    def epsilon(self) -> float:
        """ε for the next model (the search ends with its schedule)."""
        seen = self.started
        for eps, n in self.steps:
            if seen < n:
                return eps
            seen -= n
        return self.steps[-1][0]

    def _value(self, i: int, prev: int, a: int) -> float:
        return self.q.get((i, prev, a), self.q_init)

    def _trajectory(self) -> tuple[int, ...] | None:
        rng, eps = self.state.rng, self.epsilon()
        ops: tuple[int, ...] = ()
        for i in range(6):
            valid = [a for a in range(self.n_ops) if self._open.get((*ops, a), 0) > 0]
            if not valid:
                return None
            if rng.random() < eps:
                a = int(rng.choice(valid))
            else:
                prev = ops[-1] if ops else -1
                values = np.array([self._value(i, prev, a) for a in valid])
                best = np.flatnonzero(values >= values.max() - 1e-12)
                a = valid[int(rng.choice(best))]
            ops = (*ops, a)
        return ops

    def suggest(self) -> Job | None:
        if self.started >= sum(n for _, n in self.steps):
            return None  # the schedule is done
        if not self.state.fits(self.state.max_epochs):
            return None
        ops = self._trajectory()
        if ops is None:
            return None
        self._add(ops, -1)
        self.started += 1
        arch = self.state.space.from_tuple(ops)
        self.state.seen.add(arch)
        return Job(arch, self.state.max_epochs)

    def _update(self, ops: tuple[int, ...], reward: float) -> None:
        """Baker et al.'s update: the last choice towards the reward, each earlier one towards
        the best Q-value of the state after it."""
        prevs = (-1, *ops[:-1])
        last = len(ops) - 1
        key = (last, prevs[last], ops[last])
        self.q[key] = (1 - self.alpha) * self._value(*key) + self.alpha * reward
        for i in range(last - 1, -1, -1):
            nxt = max(self._value(i + 1, ops[i], a) for a in range(self.n_ops))
            key = (i, prevs[i], ops[i])
            self.q[key] = (1 - self.alpha) * self._value(*key) + self.alpha * self.gamma * nxt

    def _learn(self, arch: Hashable, value: float) -> None:
        ops = tuple(self.state.space.to_tuple(arch))
        reward = value * self.reward_scale
        if not math.isfinite(reward):
            reward = 0.0
        self.memory.append((ops, reward))  # then replays drawn from all, this one included
        if self.replay:
            for j in self.state.rng.integers(0, len(self.memory), size=self.replay):
                self._update(*self.memory[int(j)])

    def on_result(self, job: Job, run: Run) -> None:
        if run.epochs == self.state.max_epochs:
            self._learn(job.arch, run.last)

    def on_stop(self, job: Job, run: Run, reason: str) -> None:
        if reason != "stopped" or not run.epochs:
            self._learn(job.arch, 0.0)
            return
        predicted = self.state.rule.predicted_final(run) if self.state.rule else None
        self._learn(job.arch, run.last if predicted is None else predicted)
