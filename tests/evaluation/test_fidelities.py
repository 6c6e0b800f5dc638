"""The protocol with --fidelities: learning-curve predictors vary fidelity, as in White et al."""

from __future__ import annotations

import numpy as np
import pytest

from nasperf.benchmarks import load_benchmark
from nasperf.cli import main
from nasperf.evaluation import ProtocolConfig, evaluate_predictors
from nasperf.exceptions import ConfigurationError


def test_fidelities_expand_curve_predictors_only() -> None:
    bench = load_benchmark("nb201-digits")
    config = ProtocolConfig(train_sizes=(20, 40), test_size=50, trials=2, fidelities=(1, 5))
    result = evaluate_predictors(bench, ["early-stop-acc", "lcsvr", "rf"], config)
    df = result.frame()
    assert set(df.predictor) == {"early-stop-acc@1", "early-stop-acc@5", "lcsvr@1", "lcsvr@5",
                                 "rf"}
    assert df.loc[df.predictor == "lcsvr@5", "fidelity"].eq(5).all()
    assert df.loc[df.predictor == "rf", "fidelity"].isna().all()
    summ = result.summary()
    assert {"predictor", "fidelity", "train_size"} <= set(summ.columns)
    es = summ[summ.predictor.str.startswith("early-stop") & (summ.train_size == 40)]
    es = es.set_index("predictor")
    assert es.loc["early-stop-acc@5", "kendall_tau_mean"] > es.loc["early-stop-acc@1",
                                                                   "kendall_tau_mean"]
    assert np.isfinite(summ.kendall_tau_mean).all()


def test_impossible_fidelities_are_refused() -> None:
    bench = load_benchmark("nb201-digits")
    with pytest.raises(ConfigurationError, match="exceed the 30 epochs"):
        evaluate_predictors(bench, ["lce"], ProtocolConfig((10,), 20, 1, fidelities=(31,)))
    with pytest.raises(ConfigurationError, match=">= 1"):
        ProtocolConfig((10,), 20, 1, fidelities=(0,))
    # LcSVR's 3-fold cross-validation needs 3 curves: refused before any work, not mid-run
    with pytest.raises(ConfigurationError, match="lcsvr@5 needs at least 3 training records"):
        evaluate_predictors(bench, ["lcsvr"], ProtocolConfig((2, 10), 20, 1, fidelities=(5,)))


@pytest.mark.parametrize(
    ("benchmark", "fidelities", "fragment"),
    [("nbgraph-cora", "1", "no learning curves"), ("nb201-digits", "1,x", "comma-separated")],
)
def test_cli_fidelity_errors_are_one_line(capsys, benchmark, fidelities, fragment) -> None:
    code = main(["evaluate", "-b", benchmark, "-p", "lcsvr", "--fidelities", fidelities,
                 "--train-sizes", "10", "--test-size", "20", "--trials", "1"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 2 and len(err) == 1 and fragment in err[0], err
