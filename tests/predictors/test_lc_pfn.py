"""The curve prior and the curve PFN (``lc-pfn``, ``lc-pfn-study``; issue 23)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nasperf.exceptions import InvalidDataError
from nasperf.predictors import make_predictor
from nasperf.predictors.learning_curve import sample_studies
from nasperf.predictors.learning_curve._prior import FAMILIES, _shapes
from nasperf.records import Record

torch = pytest.importorskip("torch")


def test_prior_draws_are_seeded_finite_and_shaped() -> None:
    a = sample_studies(np.random.default_rng(3), 8, 16, 40)
    b = sample_studies(np.random.default_rng(3), 8, 16, 40)
    assert a.curves.shape == (8, 16, 40) and np.array_equal(a.curves, b.curves)
    assert np.all(np.isfinite(a.curves))
    c = sample_studies(np.random.default_rng(4), 8, 16, 40)
    assert not np.array_equal(a.curves, c.curves)


def test_prior_bounded_studies_stay_in_range_and_families_rise() -> None:
    drawn = sample_studies(np.random.default_rng(0), 400, 8, 50)
    bounded = drawn.curves[drawn.bounded]
    assert bounded.min() >= 0.0 and bounded.max() <= 1.0
    assert drawn.bounded.mean() == pytest.approx(0.6, abs=0.08)
    x = np.tile(np.arange(1, 101) / 100, (50, 1))
    rng = np.random.default_rng(1)
    shapes = _shapes(x, np.exp(rng.uniform(-1, 4, 50)), rng.random(50), rng.random(50))
    assert shapes.shape[0] == len(FAMILIES)
    assert np.all(np.diff(shapes, axis=-1) >= -1e-12)  # every family is monotone rising
    assert np.allclose(shapes[..., -1], 1.0, atol=1e-6)  # and normalised to end at 1


def test_prior_divergence_rate_and_diverged_runs_fall() -> None:
    drawn = sample_studies(np.random.default_rng(2), 2000, 10, 60)
    rate = drawn.diverged.mean()
    # a quarter of the studies diverge, each at a rate uniform in [0, 0.25]: about 3% of runs
    assert 0.015 < rate < 0.05
    ended = drawn.curves[..., -1]
    peak = drawn.curves.max(axis=-1)
    assert np.median((peak - ended)[drawn.diverged]) > 3 * np.median(
        (peak - ended)[~drawn.diverged]
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    from nasperf.predictors.learning_curve import PFNSettings, train_curve_pfn

    out = tmp_path_factory.mktemp("pfn")
    report = train_curve_pfn(
        out,
        steps=300,
        seed=0,
        settings=PFNSettings(d=32, layers=1, heads=2, buckets=100),
        batch_runs=256,
        checkpoint_every=100,
    )
    return out, report


def test_a_tiny_pfn_beats_the_last_value_on_prior_data(tiny) -> None:  # noqa: ANN001
    from nasperf.predictors.learning_curve._pfn import load_pfn
    from nasperf.predictors.learning_curve._pfn_net import bucket_stats
    from nasperf.predictors.learning_curve._pfn_train import prior_batch

    out, report = tiny
    assert report.loss < np.log(100)  # better than a uniform over the buckets
    net, info = load_pfn(str(out / "lc_pfn.pt"))
    assert info["steps"] == 300 and info["prior"].startswith("nasperf-curve-prior")
    rng = np.random.default_rng(99)
    err, last = [], []
    for _ in range(5):
        batch = prior_batch(rng, 256)
        with torch.no_grad():
            logits = net(torch.as_tensor(batch.tokens), torch.as_tensor(batch.finished))
        mean = bucket_stats(logits.reshape(-1, logits.shape[-1]), 100)[1]
        todo = ~batch.finished.ravel()
        err.append(np.abs(mean[todo] - batch.target.ravel()[todo]))
        last.append(np.abs(batch.last.ravel()[todo] - batch.target.ravel()[todo]))
    assert np.mean(np.concatenate(err)) < 0.85 * np.mean(np.concatenate(last))


def test_training_resumes_to_the_same_weights(tmp_path) -> None:  # noqa: ANN001
    from nasperf.predictors.learning_curve import PFNSettings, train_curve_pfn

    small = {"settings": PFNSettings(d=16, layers=1, heads=2, buckets=50), "batch_runs": 64}
    train_curve_pfn(tmp_path / "a", steps=8, checkpoint_every=4, **small)
    # the same training, stopped after its first checkpoint and resumed
    ckpt = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=False)
    train_curve_pfn(tmp_path / "b", steps=8, checkpoint_every=4, **small)
    b = torch.load(tmp_path / "b" / "lc_pfn.pt")
    (tmp_path / "c").mkdir()
    train_curve_pfn(tmp_path / "c", steps=4, checkpoint_every=4, **small)  # other settings
    with pytest.raises(Exception, match="other settings"):
        train_curve_pfn(tmp_path / "c", steps=8, checkpoint_every=4, **small)
    first = torch.load(tmp_path / "a" / "lc_pfn.pt")
    assert all(torch.equal(first[k], b[k]) for k in first) and ckpt["step"] == 8


def curves_records(n: int, seed: int, length: int = 20, scale: float = 100.0) -> list[Record]:
    rng = np.random.default_rng(seed)
    t = np.arange(1, length + 1)
    out = []
    for i in range(n):
        level, rate = rng.uniform(0.5, 0.95), rng.uniform(0.1, 0.6)
        acc = scale * (level - (level - 0.1) * np.exp(-rate * t) + 0.005 * rng.normal(size=length))
        out.append(Record(arch=i, space="custom", target=float(acc[-1]), curves={"val_acc": acc}))
    return out


@pytest.mark.parametrize("name", ["lc-pfn", "lc-pfn-study"])
def test_predictions_stay_in_an_accuracy_range(name: str) -> None:
    train, test = curves_records(40, 0), curves_records(30, 1)
    mean, std = make_predictor(name, fidelity=4).fit(train).predict_dist(test)
    assert mean.min() >= 0 and mean.max() <= 100 and np.all(2 * 1.645 * std <= 100)
    p = make_predictor(name, fidelity=4).fit(train).probability_at_least(test, 90.0)
    assert np.all((p >= 0) & (p <= 1))


def test_bad_curves_get_one_clear_error() -> None:
    train = curves_records(10, 0)
    nan = [Record(arch="x", space="custom", target=1.0, curves={"val_acc": np.full(20, np.nan)})]
    with pytest.raises(InvalidDataError, match="not finite"):
        make_predictor("lc-pfn", fidelity=4).fit(train).predict(nan)
    short = [
        Record(arch=i, space="custom", target=1.0, curves={"val_acc": np.array([0.5])})
        for i in range(3)
    ]
    with pytest.raises(InvalidDataError, match="one epoch"):
        make_predictor("lc-pfn", fidelity=1).fit(short)
    falling = [
        Record(
            arch=i,
            space="custom",
            target=0.3,
            curves={"val_acc": 2.3 * np.exp(-0.1 * np.arange(20)) + i * 0.01},
        )
        for i in range(10)
    ]
    with pytest.raises(InvalidDataError, match="is it a loss"):
        make_predictor("lc-pfn", fidelity=4).fit(falling)


def test_the_shipped_weights_reproduce_their_stored_prediction() -> None:
    from nasperf.predictors.learning_curve._pfn import SHIPPED_WEIGHTS

    info = json.loads(SHIPPED_WEIGHTS.with_suffix(".json").read_text())
    check = info["check"]
    assert SHIPPED_WEIGHTS.stat().st_size < 20e6
    recs = [
        Record(arch=i, space="custom", target=float(c[-1]), curves={"val_acc": np.array(c)})
        for i, c in enumerate(check["curves"])
    ]
    pred = make_predictor("lc-pfn", fidelity=check["fidelity"]).fit(recs)
    mean, std = pred.predict_dist(recs)
    assert np.allclose(mean, check["mean"], atol=1e-4) and np.allclose(std, check["std"], atol=1e-4)


def test_the_study_form_with_all_weight_on_its_tails_is_the_single_curve_form() -> None:
    train, test = curves_records(40, 0), curves_records(10, 1)
    a = make_predictor("lc-pfn-study", fidelity=4, tails=1.0).fit(train).predict_dist(test)
    b = make_predictor("lc-pfn", fidelity=4).fit(train).predict_dist(test)
    np.testing.assert_allclose(a, b)
    c = make_predictor("lc-pfn-study", fidelity=4, tails=0.0).fit(train).predict_dist(test)
    assert not np.allclose(a[1], c[1])  # the finished runs narrow the distribution


def test_the_single_curve_form_scores_a_table_search_without_finished_runs() -> None:
    from nasperf.search import SearchSpec, run_spec

    spec = SearchSpec("random", "nb201-digits", fitness="lc-pfn", short_epochs=3, queries=30)
    spec.check()
    res = run_spec(spec, seed=0)
    assert res.best_arch is not None and res.best_value is not None
    # an accuracy needs no study; a loss does, and says so
    with pytest.raises(InvalidDataError, match="give them to fit"):
        loss = [Record(arch=0, space="custom", target=0.0, curves={"val_loss": np.ones(20)})]
        make_predictor("lc-pfn", fidelity=3, curve="val_loss", epochs=20).fit([]).predict(loss)


def with_features(records: list[Record], dim: int, seed: int) -> list[Record]:
    rng = np.random.default_rng(seed)
    return [
        Record(arch=r.arch, space=r.space, target=r.target, curves=r.curves,
               features=rng.normal(size=dim))
        for r in records
    ]


def test_a_prediction_does_not_depend_on_the_other_records_in_the_batch() -> None:
    train = with_features(curves_records(12, 0), 3, 0)
    a, b = with_features(curves_records(2, 1), 3, 1)
    bare = Record(arch="b", space="custom", target=b.target, curves=b.curves)
    odd = Record(arch="c", space="custom", target=b.target, curves=b.curves, features=np.ones(2))
    model = make_predictor("lc-pfn-study", fidelity=4, tails=0.0).fit(train)
    alone = model.predict([a])[0]
    assert model.predict([a, bare])[0] == pytest.approx(alone)
    assert model.predict([a, odd])[0] == pytest.approx(alone)


def test_awkward_studies_fit_or_get_a_clear_error() -> None:
    # features of different lengths: the study's features are left out, not a numpy error
    mixed = curves_records(12, 0)
    mixed = with_features(mixed[:6], 3, 0) + with_features(mixed[6:], 2, 1)
    make_predictor("lc-pfn-study", fidelity=4).fit(mixed).predict(curves_records(3, 5))
    # runs longer than ``epochs`` are cut to it; none reaching it is a clear error
    make_predictor("lc-pfn", fidelity=4, epochs=15).fit(curves_records(8, 0, length=20))
    with pytest.raises(InvalidDataError, match="reaches 30 epochs"):
        make_predictor("lc-pfn", fidelity=4, epochs=30).fit(curves_records(8, 0, length=20))
    # curves that saturate at the top are not "constant"
    flat = [Record(arch=i, space="custom", target=1.0,
                   curves={"train_acc": np.r_[0.5 + 0.1 * i, np.ones(199)]}) for i in range(4)]
    make_predictor("lc-pfn", fidelity=2, curve="train_acc").fit(flat)


def test_a_width_the_heads_do_not_divide_is_refused(tmp_path) -> None:  # noqa: ANN001
    from nasperf.exceptions import ConfigurationError
    from nasperf.predictors.learning_curve import PFNSettings, train_curve_pfn

    before = torch.get_num_threads()
    with pytest.raises(ConfigurationError, match="multiple of the attention heads"):
        train_curve_pfn(tmp_path, steps=2, settings=PFNSettings(d=10, layers=1))
    train_curve_pfn(tmp_path / "ok", steps=2, threads=1, batch_runs=32,
                    settings=PFNSettings(d=8, layers=1, heads=2, buckets=20))
    assert torch.get_num_threads() == before
