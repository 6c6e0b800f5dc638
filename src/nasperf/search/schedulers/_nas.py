"""Architecture search strategies on the loop: regularised evolution, local search, and the
predictor-guided BANANAS and NPENAS, each evaluating a candidate by a full run (a query on a
table without curves).

Every strategy draws candidates from the backend's space (a table's own rows only) and never
evaluates a candidate twice. BANANAS and NPENAS take any registered predictor as their
surrogate: one with a predictive distribution is used as it is, any other as an ensemble of
``n_models`` copies seeded apart (their mean and spread).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Hashable, Sequence

import numpy as np

from ...exceptions import ConfigurationError
from ...records import Record, is_result_column
from ...validation import InstanceOf, Interval, Options, Predicate, Validated
from .._loop import Scheduler, SearchState
from .._types import Job, Run

__all__ = [
    "RegularizedEvolution",
    "LocalSearch",
    "BANANAS",
    "NPENAS",
    "ACQUISITIONS",
    "mutant",
]

logger = logging.getLogger(__name__)

#: BANANAS's acquisition functions: independent Thompson sampling, UCB, the predicted mean
ACQUISITIONS = ("its", "ucb", "exploit")


_COUNT = [Interval(int, 1, None)]


def mutant(
    state: SearchState,
    parent: Hashable,
    mutations: int = 1,
    tries: int = 100,
    fallback: bool = True,
) -> Hashable | None:
    """A candidate ``mutations`` random edits from ``parent`` that can be evaluated and was
    never seen. After ``tries`` failed attempts (a sparse table): a fresh draw if
    ``fallback``, else None."""
    space = state.space
    for _ in range(tries):
        child = parent
        for _ in range(mutations):
            child = space.parse(space.mutate(child, state.rng))
        if child not in state.seen and state.contains(child):
            return child
    return state.draw() if fallback else None


class _Queries(Scheduler):
    """What the strategies share: full runs only while one fits, the evaluated history."""

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        self.history: list[tuple[Hashable, float]] = []
        top = state.max_epochs
        if state.budget_epochs is not None and state.budget_epochs < top:
            raise ConfigurationError(
                f"a budget of {state.budget_epochs} epochs is too small for {self.name}: one "
                f"evaluation takes {top}; give a budget of at least {top}"
            )

    def _job(self, arch: Hashable | None) -> Job | None:
        if arch is None:
            return None
        self.state.seen.add(arch)
        return Job(arch, self.state.max_epochs)

    def _can_start(self) -> bool:
        return self.state.fits(self.state.max_epochs)

    def on_result(self, job: Job, run: Run) -> None:
        if run.epochs == self.state.max_epochs:
            self.history.append((job.arch, run.last))

    def _started(self) -> int:
        return len(self.history) + len(self.state.running)


class RegularizedEvolution(Validated, _Queries):
    """Regularised (aging) evolution (Real et al. 2019): ``population`` random candidates,
    then each step the best of ``sample`` members drawn from the population (with
    replacement) is mutated and the child replaces the oldest member. NASLib's setting:
    population 30, sample 10."""

    name = "re"
    _parameter_constraints = {"population": _COUNT, "sample": _COUNT}

    def __init__(self, population: int = 30, sample: int = 10) -> None:
        self._validate({"population": population, "sample": sample})
        self.population = int(population)
        self.sample = int(sample)
        if self.sample > self.population:
            raise ConfigurationError(
                f"the tournament sample ({sample}) cannot exceed the population ({population})"
            )

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        if state.budget_epochs is not None:
            queries = state.budget_epochs // state.max_epochs
            if queries < self.population:
                raise ConfigurationError(
                    f"the population of {self.population} is larger than the budget of "
                    f"{queries} evaluations; give a smaller --population or a larger budget"
                )
        self.members: deque[tuple[Hashable, float]] = deque()

    def suggest(self) -> Job | None:
        if not self._can_start():
            return None
        if self._started() < self.population or len(self.members) < self.sample:
            return self._job(self.state.draw())
        rng = self.state.rng
        picks = rng.choice(len(self.members), size=self.sample, replace=True)  # as Real et al.
        parent = max((self.members[i] for i in picks), key=lambda m: m[1])[0]
        return self._job(mutant(self.state, parent))

    def on_result(self, job: Job, run: Run) -> None:
        super().on_result(job, run)
        self.members.append((job.arch, run.last))
        if len(self.members) > self.population:
            self.members.popleft()


class LocalSearch(Validated, _Queries):
    """Local search (White et al. 2021, NASLib's): from the best of ``init`` random candidates,
    evaluate every neighbour (one edit) of the current centre; move to the best of them if it
    beats the centre, else restart from a random candidate. ``first_improvement``: move as
    soon as a neighbour beats the centre instead."""

    name = "ls"
    _parameter_constraints = {
        "init": _COUNT,
        "first_improvement": [InstanceOf(bool, "True or False")],
    }

    def __init__(self, init: int = 10, first_improvement: bool = False) -> None:
        self._validate({"init": init, "first_improvement": first_improvement})
        self.init = int(init)
        self.first_improvement = first_improvement

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        self.centre: tuple[Hashable, float] | None = None
        self.neighbours: list[Hashable] = []  # of the centre, still to evaluate
        self.round: dict[Hashable, float] = {}  # of the centre, evaluated
        self.restart: Hashable | None = None  # a restart running: wait for it

    def _move(self, arch: Hashable, value: float) -> None:
        self.centre = (arch, value)
        self.round = {}
        space = self.state.space
        options = [space.parse(n) for n in space.neighbours(arch)]
        self.state.rng.shuffle(options)  # type: ignore[arg-type]
        self.neighbours = [
            a for a in options if a not in self.state.seen and self.state.contains(a)
        ]

    def suggest(self) -> Job | None:
        if not self._can_start():
            return None
        if self._started() < self.init:
            return self._job(self.state.draw())
        if self.restart is not None:
            return None  # the restart's result decides the next centre
        if self.centre is None:  # the best of the initial candidates, once they are in
            if self.state.running or not self.history:
                return None
            self._move(*max(self.history, key=lambda h: h[1]))
        while self.neighbours:
            arch = self.neighbours.pop()
            if arch not in self.state.seen:
                return self._job(arch)
        if self.state.running:
            return None  # the neighbourhood is not all in yet
        best = max(self.round.items(), key=lambda kv: kv[1], default=None)
        if best is not None and best[1] > self.centre[1]:  # type: ignore[index]
            self._move(*best)
            return self.suggest()
        self.restart = self.state.draw()  # a local optimum: start again elsewhere
        return self._job(self.restart)

    def on_result(self, job: Job, run: Run) -> None:
        super().on_result(job, run)
        if job.arch == self.restart:
            self.restart = None
            self._move(job.arch, run.last)
        elif self.centre is not None:
            self.round[job.arch] = run.last
            if self.first_improvement and run.last > self.centre[1]:
                self._move(job.arch, run.last)

    def on_stop(self, job: Job, run: Run, reason: str) -> None:
        if job.arch == self.restart:  # it failed: the next suggestion restarts again
            self.restart = None
            self.neighbours, self.round = [], {}


class _Surrogate:
    """A registered predictor as a surrogate with a mean and a spread."""

    def __init__(self, predictor: str, n_models: int, params: dict, seed: int) -> None:
        from ...predictors import make_predictor

        self.predictor = predictor
        self.params = dict(params)
        caps = make_predictor(predictor, **self.params).capabilities()
        if caps.family != "model-based":
            raise ConfigurationError(
                f"{predictor} is a {caps.family} predictor; a search surrogate learns from "
                "the evaluated architectures: use a model-based one (xgb, lgb, rf, ngb, gp, "
                "mlp, bananas, emprox, nao, seminas, gcn, bonas, gp-wl)"
            )
        self.has_dist = caps.has_dist
        self.n_models = 1 if self.has_dist else n_models
        self.seed = seed
        self.refits = 0
        self.fit_seconds = 0.0

    def fit_predict(self, train: list[Record], query: list[Record]) -> tuple[np.ndarray, ...]:
        from ...predictors import make_predictor

        tick = time.perf_counter()
        self.refits += 1
        seeds = np.random.SeedSequence([self.seed, self.refits]).generate_state(self.n_models)
        means = []
        for s in seeds:
            model = make_predictor(self.predictor, random_state=int(s % 2**31), **self.params)
            model.fit(train)
            if self.has_dist:
                mean, std = model.predict_dist(query)  # type: ignore[attr-defined]
                self.fit_seconds += time.perf_counter() - tick
                return np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
            means.append(np.asarray(model.predict(query), dtype=float))
        self.fit_seconds += time.perf_counter() - tick
        stack = np.stack(means)
        return stack.mean(axis=0), stack.std(axis=0)


class BANANAS(Validated, _Queries):
    """BANANAS (White et al. 2021): ``init`` random candidates, then rounds of: fit the
    surrogate on every evaluated candidate, mutate the ``parents`` best into ``candidates``
    new ones (``mutations`` edits each), and evaluate the ``k`` best by the acquisition
    (``"its"``: independent Thompson sampling, ``"ucb"``: mean + ``explore`` · spread,
    ``"exploit"``: the mean). NASLib's settings: init 10, k 10, 100 candidates from the 2 best,
    one mutation, ITS, the ``bananas`` ensemble of 3 MLPs on the path encoding. ``features``
    names zero-cost columns of the table, each as its quantile over the table (robust to their
    heavy tails), appended to the surrogate's encoding: free features, known for every
    candidate without training it.
    """

    name = "bananas"
    default_predictor = "bananas"
    default_acquisition = "its"
    _parameter_constraints = {
        "acquisition": [Options(ACQUISITIONS), None],
        **{name: _COUNT for name in ("init", "k", "candidates", "parents", "mutations")},
        "n_models": _COUNT,
        "explore": [Interval(float, 0, None)],
        "features": [
            Predicate(
                lambda v: not isinstance(v, str) and all(isinstance(c, str) for c in v),
                "a list of score columns",
            )
        ],
    }

    def __init__(
        self,
        predictor: str | None = None,
        *,
        acquisition: str | None = None,
        init: int = 10,
        k: int = 10,
        candidates: int = 100,
        parents: int = 2,
        mutations: int = 1,
        explore: float = 0.5,
        n_models: int = 3,
        features: Sequence[str] = (),
        predictor_params: dict | None = None,
    ) -> None:
        counts = {"init": init, "k": k, "candidates": candidates, "parents": parents}
        counts.update(mutations=mutations, n_models=n_models)
        self._validate(
            {**counts, "acquisition": acquisition, "explore": explore, "features": features}
        )
        self.predictor = predictor or self.default_predictor
        self.acquisition = acquisition or self.default_acquisition
        self.init, self.k, self.candidates = int(init), int(k), int(candidates)
        self.parents, self.mutations, self.n_models = int(parents), int(mutations), int(n_models)
        self.explore = float(explore)
        self.predictor_params = dict(predictor_params or {})
        self.features = tuple(features)
        from ...predictors import PREDICTORS, split_params

        PREDICTORS.check(split_params(self.predictor)[0])

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        params = self.predictor_params
        self._scale: dict[str, np.ndarray] = {}
        if self.features:
            self._encoding, self._scale = self._free_features(state)
            params = {**params, "encoding": "features"}
        self.surrogate = _Surrogate(self.predictor, self.n_models, params, state.seed)
        self.queue: list[Hashable] = []

    def stats(self) -> dict[str, float]:
        return {"refits": self.refits, "fit_seconds": self.fit_seconds}

    @property
    def refits(self) -> int:
        """How many times the surrogate was fitted."""
        return self.surrogate.refits

    @property
    def fit_seconds(self) -> float:
        """Seconds spent fitting the surrogate and predicting."""
        return self.surrogate.fit_seconds

    def _free_features(self, state: SearchState) -> tuple[str, dict[str, np.ndarray]]:
        """The surrogate's encoding, and each zero-cost column's sorted values over the table
        (known without training anything: the free features)."""
        from ...predictors import make_predictor

        archs = state.archs()
        if archs is None:
            raise ConfigurationError(
                "zero-cost features come from a table's columns; a live search has none"
            )
        scale = {}
        for name in self.features:
            if is_result_column(name):
                raise ConfigurationError(
                    f"column {name!r} is a result of training, not a free feature; give "
                    "zero-cost or architecture columns (e.g. sz_jacov, naswot, params_m)"
                )
            values = np.array([state.scores(a).get(name, np.nan) for a in archs])
            known = np.sort(values[~np.isnan(values)])  # -inf is a value: the lowest
            if not len(known):
                raise ConfigurationError(
                    f"the table has no values of the column {name!r}; its columns are "
                    + ", ".join(sorted(state.scores(archs[0])))
                )
            scale[name] = known
        encoding = make_predictor(self.predictor).get_params().get("encoding", "default")
        if encoding in ("default", None):
            encoding = state.space.default_encoding
        return encoding, scale

    def _record(self, arch: Hashable, target: float | None = None) -> Record:
        state = self.state
        scores = state.scores(arch)
        features = None
        if self._scale:  # each column as its quantile in the table, a missing value at 0.5
            q = []
            for name, known in self._scale.items():
                v = scores.get(name, np.nan)
                q.append(0.5 if np.isnan(v) else np.searchsorted(known, v) / len(known))
            features = np.concatenate([state.space.encode(arch, self._encoding), q])
        return Record(arch=arch, space=state.space_name, target=target, scores=scores,
                      features=features)  # fmt: skip

    def _pool(self) -> list[Hashable]:
        ranked = sorted(self.history, key=lambda h: h[1], reverse=True)[: self.parents]
        per_parent = max(1, self.candidates // max(len(ranked), 1) // self.mutations)
        pool: dict[Hashable, None] = {}
        for parent, _ in ranked:
            for _ in range(per_parent):
                child = mutant(self.state, parent, self.mutations, fallback=False)
                if child is None:
                    break
                pool[child] = None
        if len(pool) < self.candidates // 2:  # a sparse table: random candidates make it up
            pool.update(dict.fromkeys(self.state.sample_unseen(self.candidates - len(pool))))
        return list(pool)

    def _score(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        if self.acquisition == "its":
            return self.state.rng.normal(mean, np.maximum(std, 0.0))
        if self.acquisition == "ucb":
            return mean + self.explore * std
        return mean

    def _refill(self) -> None:
        pool = self._pool()
        if not pool:
            return
        train = [self._record(a, v) for a, v in self.history]
        mean, std = self.surrogate.fit_predict(train, [self._record(a) for a in pool])
        order = np.argsort(-self._score(mean, std), kind="stable")
        self.queue = [pool[i] for i in order[: self.k]][::-1]

    def suggest(self) -> Job | None:
        if not self._can_start():
            return None
        if self._started() < self.init:
            return self._job(self.state.draw())
        if len(self.history) < 2:  # too few to fit on: wait for one, else draw another
            return None if self.state.running else self._job(self.state.draw())
        while True:
            while self.queue:
                arch = self.queue.pop()
                if arch not in self.state.seen:
                    return self._job(arch)
            self._refill()
            if not self.queue:
                return self._job(self.state.draw())


class NPENAS(BANANAS):
    """NPENAS (Wei et al. 2022): evolution whose offspring are filtered by a predictor: the
    ``parents`` best evaluated candidates are mutated into ``candidates`` offspring and the
    ``k`` with the best predicted mean are evaluated (NPENAS-NP). The paper's predictor is a
    graph network (GIN); until nasperf has one, the default is the plain ``mlp``.
    """

    name = "npenas"
    default_predictor = "mlp"
    default_acquisition = "exploit"
