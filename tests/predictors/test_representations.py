"""Predictors that learn a representation of the architecture: EmProx, NAO, SemiNAS, GCN,
BONAS and GP-WL (the shared contract is checked in test_api.py)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from nasperf.exceptions import InvalidDataError, MissingRequirementError  # noqa: E402
from nasperf.predictors import make_predictor  # noqa: E402
from nasperf.records import Record  # noqa: E402
from nasperf.spaces import (  # noqa: E402
    CellGraph,
    check_tokens,
    decode_graph,
    get_space,  # noqa: E402
)

QUICK = {
    "emprox": {"epochs": 10},
    "nao": {"epochs": 20},
    "seminas": {"pretrain_epochs": 20, "epochs": 5, "n_unlabelled": 30},
    "gcn": {"epochs": 20, "batch_size": 16, "learning_rate": 1e-3},
    "bonas": {"epochs": 20},
    "gp-wl": {},
}


#: NB201 op weights of the synthetic target: convolutions help, ``none`` edges hurt
WEIGHT = {"nor_conv_3x3": 2.0, "nor_conv_1x1": 1.0, "skip_connect": 0.3, "none": -1.0}


def cells(space_name: str, n: int, seed: int = 0) -> list[Record]:
    """Random cells of a space, the target a noisy function of their ops (NB201) or of their
    default encoding (the others)."""
    space = get_space(space_name)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        arch = space.sample(rng)
        if space_name == "nb201":
            y = sum(WEIGHT.get(op, 0.0) for op in space.ops_of(arch))
        else:
            y = float(space.encode(arch, space.default_encoding)[::3].sum())
        out.append(Record(arch=arch, space=space_name, target=y + 0.1 * rng.normal()))
    return out


@pytest.mark.parametrize("space_name", ["nb201", "nb101", "darts"])
@pytest.mark.parametrize("name", list(QUICK))
def test_every_space_with_a_structure(name: str, space_name: str) -> None:
    pred = make_predictor(name, **QUICK[name]).fit(cells(space_name, 30, seed=1))
    out = pred.predict(cells(space_name, 10, seed=2))
    assert out.shape == (10,) and np.all(np.isfinite(out))


def test_embeddings_are_deterministic_under_a_seed() -> None:
    train, test = cells("nb201", 40, seed=3), cells("nb201", 8, seed=4)
    a = make_predictor("emprox", epochs=5, random_state=7).fit(train).embed(test)
    b = make_predictor("emprox", epochs=5, random_state=7).fit(train).embed(test)
    c = make_predictor("emprox", epochs=5, random_state=8).fit(train).embed(test)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (8, 32) and not np.allclose(a, c)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)  # L2-normalised


def test_knn_with_k_beyond_the_known_set_uses_all_of_it() -> None:
    train, test = cells("nb201", 6, seed=5), cells("nb201", 4, seed=6)
    pred = make_predictor("emprox", k=60, epochs=5, target_transform="none").fit(train)
    assert pred.n_neighbors_ == 6
    emb_train, emb_test = pred.embed(train), pred.embed(test)
    y = np.array([r.target for r in train])
    d = np.linalg.norm(emb_test[:, None, :] - emb_train[None, :, :], axis=2)
    expected = (y / d).sum(axis=1) / (1.0 / d).sum(axis=1)  # inverse-distance weighted, all 6
    np.testing.assert_allclose(pred.predict(test), expected, rtol=1e-6)


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
def test_a_known_architecture_predicts_its_known_targets(distance: str) -> None:
    train = cells("nb201", 20, seed=9)
    twin = Record(arch=train[2].arch, space="nb201", target=train[2].target + 1.0)
    pred = make_predictor("emprox", k=5, epochs=5, target_transform="none", distance=distance)
    pred.fit([*train, twin])
    # the mean of its known targets (distance zero), whatever the neighbours
    np.testing.assert_allclose(
        pred.predict(train[:3]), [train[0].target, train[1].target, train[2].target + 0.5]
    )


def test_unknown_tokens_and_too_long_sequences_are_refused() -> None:
    with pytest.raises(InvalidDataError, match="token 9 at position 1 of sequence 0.*0..8"):
        check_tokens(np.array([[1.0, 9.0, 2.0]]), vocabulary=9, max_length=35, what="x")
    with pytest.raises(InvalidDataError, match="token -1"):
        check_tokens(np.array([[-1.0, 2.0]]), vocabulary=9, max_length=35, what="x")
    with pytest.raises(InvalidDataError, match="36 tokens are longer than the model's maximum"):
        check_tokens(np.ones((2, 36)), vocabulary=9, max_length=35, what="x")
    # a model fitted on one space refuses another's records, whatever their length
    pred = make_predictor("nao", epochs=2).fit(cells("nb101", 10))
    with pytest.raises(InvalidDataError, match="fitted on 'nb101' sequences.*space 'nb201'"):
        pred.predict(cells("nb201", 3))
    pred = make_predictor("emprox", epochs=2).fit(cells("darts", 10))
    with pytest.raises(InvalidDataError, match="space 'nb101'"):
        pred.predict(cells("nb101", 3))


def test_a_record_with_a_foreign_token_is_refused() -> None:
    pred = make_predictor("emprox", epochs=2).fit(cells("nb201", 10))
    bad = cells("nb201", 2, seed=3)
    tokens = bad[0].encode("seq").copy()
    tokens[4] = 11.0
    bad[0]._encodings["seq"] = tokens
    with pytest.raises(InvalidDataError, match="token 11 at position 4 of sequence 0"):
        pred.predict(bad)


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        (np.zeros(7), "7 values fit no n"),
        (np.r_[[0, 2, 0, 0], [0, 1]], "only 0 and 1"),
        (np.r_[[0, 0, 1, 0], [0, 1]], "edge 1 -> 0 is not forward"),
        (np.r_[[1, 0, 0, 0], [0, 1]], "edge 0 -> 0 is not forward"),
        (np.r_[[0, 1, 0, 0], [0, 9]], "node labels must be ids 0..6"),
        (np.r_[[0, 1, 0, 0], [0, -1]], "padding node"),
    ],
)
def test_malformed_adjacency_is_refused(vector: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidDataError, match=message):
        decode_graph(np.asarray(vector, dtype=float), num_labels=7)


def test_graph_predictors_refuse_a_malformed_graph_from_the_records() -> None:
    pred = make_predictor("gp-wl").fit(cells("nb201", 10))
    bad = cells("nb201", 2, seed=1)
    vec = bad[1].encode("graph").copy()
    vec[8] = 1.0  # A[1, 0]: a backward edge
    bad[1]._encodings["graph"] = vec
    with pytest.raises(InvalidDataError, match="not forward"):
        pred.predict(bad)
    with pytest.raises(InvalidDataError, match="fitted on 'nb201' graphs"):
        pred.predict(cells("nb101", 2))


def test_spaces_without_structure_are_refused_clearly() -> None:
    recs = [Record(arch=i, space="custom", target=float(i)) for i in range(5)]
    for name in QUICK:
        with pytest.raises(MissingRequirementError, match="nb201, nb101, darts"):
            make_predictor(name).fit(recs)


def two_graphs() -> list[CellGraph]:
    """G1: a -> b. G2: a -> b, a -> b (a root with two children labelled b)."""
    g1 = CellGraph(np.array([[0, 1], [0, 0]]), np.array([0, 1]))
    g2 = CellGraph(np.array([[0, 1, 1], [0, 0, 0], [0, 0, 0]]), np.array([0, 1, 1]))
    return [g1, g2]


def test_wl_kernel_matches_a_hand_computed_case() -> None:
    pytest.importorskip("grakel")
    from nasperf.predictors.model_based import wl_kernel

    # Round 0 counts labels: G1 {a: 1, b: 1}, G2 {a: 1, b: 2}. Round 1 relabels each node by
    # its label and its predecessors' labels: the root becomes (a; ), each b becomes (b; a):
    # G1 {(a;): 1, (b;a): 1}, G2 {(a;): 1, (b;a): 2}. Dot products of the counts:
    # k(G1, G1) = 1+1+1+1 = 4, k(G1, G2) = 1+2+1+2 = 6, k(G2, G2) = 1+4+1+4 = 10.
    g1, g2 = two_graphs()
    np.testing.assert_allclose(wl_kernel([g1, g2], h=1), [[4, 6], [6, 10]])
    # h = 0: label histograms only (1+1 / 1+2 / 1+4)
    np.testing.assert_allclose(wl_kernel([g1, g2], h=0), [[2, 3], [3, 5]])
    # normalised: k / sqrt(k11 k22)
    k = wl_kernel([g1, g2], h=1, normalize=True)
    np.testing.assert_allclose(k, [[1, 6 / np.sqrt(40)], [6 / np.sqrt(40), 1]])
    # a new graph against the fitted ones: G1 again
    np.testing.assert_allclose(wl_kernel([g1, g2], [g1], h=1), [[4, 6]])


def test_gp_wl_marginal_likelihood_and_posterior_match_the_formulas() -> None:
    pytest.importorskip("grakel")
    from scipy.stats import multivariate_normal

    from nasperf.predictors.model_based import wl_kernel

    train, test = cells("nb201", 40, seed=21), cells("nb201", 6, seed=22)
    for normalize in (True, False):
        pred = make_predictor("gp-wl", target_transform="none", kernel_normalize=normalize)
        pred.fit(train)
        y = np.array([r.target for r in train])
        z = y - y.mean()
        graphs = [decode_graph(r.encode("graph"), 7) for r in train]
        new = [decode_graph(r.encode("graph"), 7) for r in test]
        K = wl_kernel(graphs, h=pred.h_, normalize=normalize)
        cov = pred.scale_ * (K + pred.noise_ * np.eye(len(z)))
        lml = multivariate_normal(np.zeros(len(z)), cov).logpdf(z)
        assert pred.log_marginal_likelihood_ == pytest.approx(lml, rel=1e-8)
        Ks = wl_kernel(graphs, new, h=pred.h_, normalize=normalize)
        Kss = wl_kernel(new, h=pred.h_, normalize=normalize)
        if normalize:  # a normalised kernel's self-similarity is 1
            np.testing.assert_allclose(np.diag(Kss), 1.0)
        solve = np.linalg.solve(K + pred.noise_ * np.eye(len(z)), np.c_[z, Ks.T])
        mean = Ks @ solve[:, 0] + y.mean()
        var = pred.scale_ * (np.diag(Kss) - np.sum(Ks * solve[:, 1:].T, axis=1) + pred.noise_)
        got_mean, got_std = pred.predict_dist(test)
        np.testing.assert_allclose(got_mean, mean, rtol=1e-6)
        np.testing.assert_allclose(got_std, np.sqrt(var), rtol=1e-6)


def test_gp_wl_chooses_depth_and_noise_and_interpolates_with_little_noise() -> None:
    pytest.importorskip("grakel")
    train = cells("nb201", 60, seed=11)
    pred = make_predictor("gp-wl", target_transform="none").fit(train)
    assert pred.h_ in range(4) and pred.noise_ in pred.noise_grid
    mean, std = pred.predict_dist(train[:5])
    test_mean, test_std = pred.predict_dist(cells("nb201", 5, seed=12))
    assert np.all(std > 0) and std.mean() < test_std.mean() + 1e-9
    fixed = make_predictor("gp-wl", h=2).fit(train)
    assert fixed.h_ == 2


def test_bonas_has_a_calibrated_looking_distribution() -> None:
    train, test = cells("nb201", 80, seed=13), cells("nb201", 40, seed=14)
    pred = make_predictor("bonas", epochs=60).fit(train)
    mean, std = pred.predict_dist(test)
    np.testing.assert_allclose(mean, pred.predict(test))
    y = np.array([r.target for r in test])
    assert np.corrcoef(mean, y)[0, 1] > 0.5
    inside = np.mean(np.abs(y - mean) <= 1.645 * std)
    assert 0.5 <= inside <= 1.0


def test_seminas_trains_on_pseudo_labels() -> None:
    """With unlabelled architectures SemiNAS is a different model from NAO's on the same seed."""
    train, test = cells("nb201", 20, seed=15), cells("nb201", 10, seed=16)
    plain = make_predictor("seminas", pretrain_epochs=5, n_unlabelled=0).fit(train).predict(test)
    nao = make_predictor("nao", epochs=5).fit(train).predict(test)
    semi = make_predictor("seminas", pretrain_epochs=5, epochs=2, n_unlabelled=50)
    semi = semi.fit(train).predict(test)
    # n_unlabelled=0 is NAO trained for the same epochs (one round of labelled training)
    np.testing.assert_allclose(plain, nao)
    assert not np.allclose(semi, nao)


def test_darts_graph_and_sequence_by_hand() -> None:
    space = get_space("darts")
    normal = [(0, 4), (1, 3), (0, 2), (2, 3), (1, 0), (3, 6), (0, 5), (4, 1)]
    reduce = [(1, 0), (0, 0), (2, 2), (1, 1), (0, 3), (3, 4), (4, 5), (2, 6)]
    arch = (tuple(normal), tuple(reduce))
    g = decode_graph(space.encode(arch, "graph"), len(space.graph_labels))
    assert g.num_nodes == 22
    labels = [space.graph_labels[i] for i in g.labels]
    assert labels[:2] == ["normal:c_k-2", "normal:c_k-1"] and labels[10] == "normal:output"
    # normalised edges of node 0 are (0, 4), (1, 3): op nodes 2 and 3
    assert labels[2:4] == ["normal:sep_conv_5x5", "normal:sep_conv_3x3"]
    edges = set(g.edges())
    # node 1's edges, normalised: (0, 2) from the input (slot 2, op node 4), then (2, 3) from
    # intermediate node 2 (slot 3, op node 5), fed by both ops of node 2 (op nodes 2 and 3)
    assert {(0, 4), (2, 5), (3, 5)} <= edges and (0, 5) not in edges
    # node 3's second edge (slot 7: (4, 1)) is fed by node 4's ops: slots 4 and 5 (op nodes 6, 7)
    assert {(6, 9), (7, 9)} <= edges
    assert all((k, 10) in edges for k in range(2, 10))  # the output takes every op
    assert labels[11] == "reduce:c_k-2" and labels[21] == "reduce:output"
    assert not any(i < 11 <= j for i, j in edges)  # the two cells are separate components
    seq = space.encode(arch, "seq").astype(int).tolist()
    # (input + 1, op + 6) per edge, normalised order; normal node 0: (0,4) then (1,3)
    assert seq[:4] == [1, 10, 2, 9] and len(seq) == 32 and max(seq) < space.seq_vocabulary


def test_nb101_sequence_of_a_pruned_cell_matches_naslib_layout() -> None:
    space = get_space("nb101")
    matrix = np.zeros((7, 7), dtype=int)
    matrix[0, 1] = matrix[1, 6] = 1  # input -> conv3x3 -> output
    matrix[0, 2] = 1  # node 2 dangles (it reaches nothing)
    ops = ["input", "conv3x3-bn-relu", "maxpool3x3", "conv1x1-bn-relu",
           "conv1x1-bn-relu", "conv1x1-bn-relu", "output"]  # fmt: skip
    arch = {"matrix": matrix.tolist(), "ops": ops}
    seq = space.encode(arch, "seq").astype(int).tolist()
    # the pruned cell has 3 nodes: input, conv3x3, output
    assert seq[:2] == [2, 5]  # node 1: edge from 0, op conv3x3 (token 5)
    assert seq[2:5] == [1, 2, 6]  # node 2 (the output): no edge from 0, edge from 1, token 6
    assert seq[5:] == [0] * 22  # nodes 3..6 absent
    g = decode_graph(space.encode(arch, "graph"), len(space.graph_labels))
    assert g.num_nodes == 3 and g.edges() == [(0, 1), (1, 2)]


def test_a_missing_grakel_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from nasperf.exceptions import OptionalDependencyError
    from nasperf.predictors.model_based import wl_kernel

    for mod in [m for m in sys.modules if m == "grakel" or m.startswith("grakel.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "grakel", None)
    with pytest.raises(OptionalDependencyError, match=r"nasperf\[graph\]"):
        wl_kernel(two_graphs(), h=0)
    with pytest.raises(OptionalDependencyError, match=r"nasperf\[graph\]"):
        make_predictor("gp-wl").fit(cells("nb201", 5))
