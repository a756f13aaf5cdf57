"""CSRGraph: construction from the parcs graph format, lookups, validation, persistence."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import make_tiny_graph

from parcs._kernels.astar import astar
from parcs._kernels.dijkstra import dijkstra
from parcs._kernels.paths import path_arcs
from parcs.csr import CSRGraph, _hilbert_key, hilbert_order
from parcs.errors import DataError, NodeNotFoundError, ValidationError
from parcs.graph import add_reverse_edges
from parcs.profiles import PROFILES

SETTINGS = settings(deadline=None, derandomize=True)
NO_T = np.empty(0, dtype=np.int64)
NO_MASK = np.empty(0, dtype=np.bool_)


def sssp(csr, weight, source_idx):
    return dijkstra(
        csr.indptr,
        csr.indices,
        weight,
        np.array([source_idx]),
        np.zeros(1),
        NO_T,
        math.inf,
        NO_MASK,
    )


def test_tiny_graph_arcs_and_weights(tiny_graph):
    csr = CSRGraph.from_graph(tiny_graph)
    assert (csr.n_nodes, csr.n_arcs) == (6, 12)
    assert sorted(csr.node_ids.tolist()) == [1, 2, 3, 4, 5, 6]
    # every arc maps back to its own edge of G, each edge exactly once
    keys = [tuple(k) for k in csr.edge_keys.tolist()]
    assert sorted(keys) == sorted(tiny_graph.edges(keys=True))
    for e, (u, v, k) in enumerate(keys):
        data = tiny_graph.edges[u, v, k]
        assert csr.weights["length"][e] == data["est_length"]
        assert csr.connector[e] == (not data["built"])
        for name, prof in PROFILES.items():
            assert csr.weight(f"{name}_cost")[e] == pytest.approx(
                data["est_length"] * prof.multipliers.get(data["kind"], 1.0)
            )
            assert csr.weight(f"{name}_time")[e] == pytest.approx(
                data["est_length"] / (prof.speed_kmh / 3.6)
            )
    # CSR invariants: the arcs of u are the ones whose tail is u
    for u in range(csr.n_nodes):
        assert (csr.tails[csr.indptr[u] : csr.indptr[u + 1]] == u).all()
    # the 3-6 connector: 1000 m straight, est_length 1500, cost x4 for every profile
    e36 = keys.index((3, 6, 0))
    assert csr.weights["length"][e36] == 1500.0
    assert csr.weight("walk_cost")[e36] == 6000.0
    assert csr.x[csr.index(6)] == tiny_graph.nodes[6]["x"]


def test_tiny_graph_distances_by_hand(tiny_graph):
    csr = CSRGraph.from_graph(tiny_graph)
    s = csr.index(1)
    dist, pred = sssp(csr, csr.weight("length"), s)
    by_id = dict(zip(csr.node_ids.tolist(), dist.tolist()))
    assert by_id == {1: 0.0, 2: 1000.0, 3: 2000.0, 4: 1000.0, 5: 2000.0, 6: 3500.0}
    dist, _ = sssp(csr, csr.weight("length", avoid_connectors=True), s)
    assert dist[csr.index(6)] == math.inf
    arcs = path_arcs(pred, csr.indptr, csr.index(6))
    assert [tuple(k) for k in csr.edge_keys[arcs].tolist()] == [(1, 2, 0), (2, 3, 0), (3, 6, 0)]


def test_index_of_and_missing_ids(tiny_graph):
    csr = CSRGraph.from_graph(tiny_graph)
    idx = csr.index_of([6, 1, 3])
    assert csr.node_ids[idx].tolist() == [6, 1, 3]
    with pytest.raises(NodeNotFoundError, match="99") as info:
        csr.index_of([1, 99])
    assert "1 node id" in str(info.value)
    with pytest.raises(NodeNotFoundError) as info:
        csr.index_of(list(range(100, 110)))
    msg = str(info.value)
    assert "100, 101, 102, 103, 104" in msg
    assert "105" not in msg
    assert "5 more" in msg
    with pytest.raises(NodeNotFoundError):
        csr.index_of(["a"])


def test_weight_avoid_connectors_and_unknown(tiny_graph):
    csr = CSRGraph.from_graph(tiny_graph)
    w = csr.weight("bike_cost", avoid_connectors=True)
    assert np.isinf(w[csr.connector]).all()
    assert np.array_equal(w[~csr.connector], csr.weight("bike_cost")[~csr.connector])
    assert np.isfinite(csr.weight("bike_cost")).all()  # the original is untouched
    with pytest.raises(ValidationError, match="unknown `weight` 'speed'"):
        csr.weight("speed")


def test_validation_errors(tiny_graph):
    G = tiny_graph.copy()
    G.graph["crs"] = "EPSG:4326"
    with pytest.raises(ValidationError, match="projected CRS in metres"):
        CSRGraph.from_graph(G)
    del G.graph["crs"]
    with pytest.raises(ValidationError, match="crs"):
        CSRGraph.from_graph(G)
    G = make_tiny_graph()
    G.edges[1, 2, 0]["est_length"] = -5.0
    G.edges[2, 1, 0]["est_length"] = math.nan
    with pytest.raises(ValidationError, match="2 edges have a non-numeric, NaN or negative `est_length`"):
        CSRGraph.from_graph(G)
    H = nx.relabel_nodes(make_tiny_graph(), {1: "a"})
    with pytest.raises(ValidationError, match="node ids are not integers"):
        CSRGraph.from_graph(H)


def test_length_fallback_when_no_est_length(tiny_graph):
    for _, _, data in tiny_graph.edges(data=True):
        del data["est_length"]
    csr = CSRGraph.from_graph(tiny_graph)
    assert sorted(set(csr.weights["length"].tolist())) == [1000.0]


def test_save_load_round_trip(tmp_path, tiny_graph):
    csr = CSRGraph.from_graph(tiny_graph)
    path = tmp_path / "g.npz"
    csr.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["g.npz"]  # no temp file left
    back = CSRGraph.load(path)
    for name in ("indptr", "indices", "tails", "x", "y", "node_ids", "arc_key", "connector"):
        assert np.array_equal(getattr(back, name), getattr(csr, name)), name
    assert back.weights.keys() == csr.weights.keys()
    for k in csr.weights:
        assert np.array_equal(back.weights[k], csr.weights[k])
    assert back.crs == "EPSG:2154"
    assert back.kinds == csr.kinds == ("cavalier", "connector", "eurovelo")
    assert np.array_equal(back.arc_kind, csr.arc_kind)
    assert np.array_equal(back.weight("walk_cost"), csr.weight("walk_cost"))
    np.savez(tmp_path / "other.npz", a=np.arange(3))
    with pytest.raises(DataError, match="not a parcs CSR file"):
        CSRGraph.load(tmp_path / "other.npz")
    with pytest.raises(DataError):
        CSRGraph.load(tmp_path / "missing.npz")


def test_nbytes_counts_every_array(tiny_graph):
    csr = CSRGraph.from_graph(tiny_graph)
    n, m = 6, 12
    # indptr; indices (int64), arc_key (int32), connector (bool), arc_kind (uint8); x, y,
    # node_ids and the two sorted-id lookup arrays; the one stored weight ("length"). Arc
    # tails are derived and profile weights computed, not stored.
    expected = 8 * (n + 1) + (8 + 4 + 1 + 1) * m + 5 * 8 * n + 8 * m
    assert csr.nbytes == expected
    assert csr.arc_key.dtype == np.int32


def test_loads_format_version_1(tmp_path, tiny_graph):
    # version 1 also stored `tails` and an int64 `arc_key`
    csr = CSRGraph.from_graph(tiny_graph)
    arrays = {name: getattr(csr, name) for name in ("indptr", "indices", "x", "y", "node_ids")}
    arrays |= {"tails": csr.tails, "arc_key": csr.arc_key.astype(np.int64)}
    arrays |= {"connector": csr.connector, "crs": np.array(csr.crs)}
    arrays |= {f"weight:{k}": v for k, v in csr.weights.items()}
    # versions 1 and 2 stored the profile weights and no kinds
    arrays |= {f"weight:{p}_{w}": csr.weight(f"{p}_{w}") for p in PROFILES for w in ("cost", "time")}
    np.savez(tmp_path / "v1.npz", format_version=np.array(1), **arrays)
    back = CSRGraph.load(tmp_path / "v1.npz")
    assert np.array_equal(back.arc_key, csr.arc_key)
    assert np.array_equal(back.tails, csr.tails)
    assert back.kinds == ("other",)
    # the stored profile weights still give the same routing weights
    assert np.array_equal(back.profile_weight("walk", "cost"), csr.profile_weight("walk", "cost"))
    assert np.array_equal(back.weight("bike_time"), csr.weight("bike_time"))
    np.savez(tmp_path / "v9.npz", format_version=np.array(9), **arrays)
    with pytest.raises(DataError, match="format version 9"):
        CSRGraph.load(tmp_path / "v9.npz")


def test_arc_key_must_fit_int32():
    args = ([0, 1], [1, 0], [0.0, 1.0], [0.0, 0.0])
    with pytest.raises(ValidationError, match="arc_key"):
        CSRGraph.from_arrays(*args, weights={"length": [1.0, 1.0]}, arc_key=[0, 2**31])
    with pytest.raises(ValidationError, match="arc_key"):
        CSRGraph.from_arrays(*args, weights={"length": [1.0, 1.0]}, arc_key=[-1, 0])


def test_arc_kind_codes_are_checked_before_the_narrow_cast():
    """Codes are stored as uint8 (<= 256 kinds): 256 used to wrap to 0 and -1 to 255 silently,
    and an arc_kind of the wrong length raised IndexError or was cut short."""
    args = ([0, 1], [1, 0], [0.0, 1.0], [0.0, 0.0])
    w = {"length": [1.0, 1.0]}
    many = tuple(f"k{i:03d}" for i in range(256))
    with pytest.raises(ValidationError, match="arc_kind"):
        CSRGraph.from_arrays(*args, weights=w, arc_kind=[256, 256], kinds=("a", "b"))
    with pytest.raises(ValidationError, match="arc_kind"):
        CSRGraph.from_arrays(*args, weights=w, arc_kind=[-1, 0], kinds=many)
    for codes in ([0], [0, 1, 1]):
        with pytest.raises(ValidationError, match="`arc_kind` has"):
            CSRGraph.from_arrays(*args, weights=w, arc_kind=codes, kinds=("a", "b"))
    ok = CSRGraph.from_arrays(*args, weights=w, arc_kind=[1, 0], kinds=("a", "b"), renumber=False)
    assert ok.kind_of([0, 1]).tolist() == ["b", "a"]  # arc 0 is 0 -> 1, input arc 0
    # the dataclass itself: same check before the cast
    for codes in ([256, 0], [-1, 0]):
        with pytest.raises(ValidationError, match="arc_kind"):
            CSRGraph(
                indptr=ok.indptr,
                indices=ok.indices,
                x=ok.x,
                y=ok.y,
                node_ids=ok.node_ids,
                arc_key=ok.arc_key,
                connector=ok.connector,
                weights=ok.weights,
                arc_kind=np.array(codes),
                kinds=("a", "b"),
            )


def test_h_scale_is_a_lower_bound_and_astar_exact(tiny_graph):
    csr = CSRGraph.from_graph(tiny_graph)
    for name in ("length", "bike_time"):
        scale = csr.h_scale(name)
        w = csr.weight(name)
        for e in range(csr.n_arcs):
            u, v = csr.tails[e], csr.indices[e]
            d = math.hypot(csr.x[u] - csr.x[v], csr.y[u] - csr.y[v])
            assert scale * d <= w[e]
        ratios = [w[e] / 1000.0 for e in range(csr.n_arcs)]  # every arc is 1000 m straight
        assert scale == pytest.approx(min(ratios), rel=1e-9)
        s, t = csr.index(4), csr.index(6)
        d, _ = astar(csr.indptr, csr.indices, w, csr.x, csr.y, s, t, scale)
        assert d == pytest.approx(sssp(csr, w, s)[0][t], rel=1e-12)


def test_hilbert_key_visits_grid_cells_one_step_at_a_time():
    xs, ys = np.meshgrid(np.arange(8.0), np.arange(8.0))
    x, y = xs.ravel(), ys.ravel()
    key = _hilbert_key(x, y, bits=3)
    assert sorted(key.tolist()) == list(range(64))
    order = np.argsort(key)
    steps = np.abs(np.diff(x[order])) + np.abs(np.diff(y[order]))
    assert (steps == 1).all()
    assert hilbert_order(x, y).shape == (64,)


@st.composite
def nx_graphs(draw):
    n = draw(st.integers(1, 15))
    ids = draw(st.lists(st.integers(-1000, 10**12), min_size=n, max_size=n, unique=True))
    G = nx.MultiDiGraph(crs="EPSG:2154")
    for i in ids:
        G.add_node(i, x=draw(st.floats(0, 1e4)), y=draw(st.floats(0, 1e4)))
    k = draw(st.integers(0, 40))
    for _ in range(k):
        u, v = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        kind = draw(st.sampled_from(["cavalier", "path", "track", "connector"]))
        w = draw(st.floats(0, 1e3))
        G.add_edge(u, v, est_length=w, length=w, kind=kind, built=kind != "connector")
    return add_reverse_edges(G)


@SETTINGS
@given(G=nx_graphs(), renumber=st.booleans(), data=st.data())
def test_distances_on_csr_equal_networkx(G, renumber, data):
    csr = CSRGraph.from_graph(G, renumber=renumber)
    assert sorted(csr.edge_keys[:, :3].tolist()) == sorted(map(list, G.edges(keys=True)))
    src = data.draw(st.sampled_from(list(G.nodes)))
    name = data.draw(st.sampled_from(["length", "walk_cost", "bike_cost"]))
    prof = PROFILES.get(name.split("_")[0])

    def mult(kind):
        return prof.multipliers.get(kind, 1.0) if prof and name.endswith("cost") else 1.0

    def cost(_u, _v, d):
        return min(e["est_length"] * mult(e["kind"]) for e in d.values())

    ref = nx.single_source_dijkstra_path_length(G, src, weight=cost)
    dist, _ = sssp(csr, csr.weight(name), csr.index(src))
    got = dict(zip(csr.node_ids.tolist(), dist.tolist()))
    for node in G.nodes:
        assert got[node] == pytest.approx(ref.get(node, math.inf), rel=1e-9)


def test_empty_and_edgeless_graphs():
    G = nx.MultiDiGraph(crs="EPSG:2154")
    csr = CSRGraph.from_graph(G)
    assert (csr.n_nodes, csr.n_arcs) == (0, 0)
    G.add_node(7, x=1.0, y=2.0)
    G.add_node(3, x=5.0, y=2.0)
    csr = CSRGraph.from_graph(G)
    assert csr.indptr.tolist() == [0, 0, 0]
    assert sorted(csr.node_ids.tolist()) == [3, 7]
    dist, _ = sssp(csr, csr.weight("length"), csr.index(7))
    assert dist[csr.index(3)] == math.inf


def test_simple_graphs_are_refused_with_the_fix(tiny_graph):
    with pytest.raises(ValidationError, match=r"networkx.DiGraph.*networkx.MultiDiGraph\(G\)"):
        CSRGraph.from_graph(nx.DiGraph(tiny_graph))
    with pytest.raises(ValidationError, match=r"networkx.Graph.*stores each edge both ways"):
        CSRGraph.from_graph(nx.Graph(tiny_graph))
    csr = CSRGraph.from_graph(nx.MultiDiGraph(nx.Graph(tiny_graph)))  # the fix works
    assert csr.n_arcs == 12


@SETTINGS
@given(
    data=st.data(),
    n=st.integers(1, 6),
    m=st.integers(0, 25),
)
def test_from_arrays_arange_key_gives_input_position(data, n, m):
    """With arc_key = arange(m), csr.arc_key is the input position of each CSR arc.

    Reference: a pure-Python stable sort of the input arcs by (tail, head, position).
    """
    tails = data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    heads = data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    lengths = data.draw(st.lists(st.integers(0, 9), min_size=m, max_size=m))
    ids = [100 + 7 * i for i in range(n)]
    csr = CSRGraph.from_arrays(
        tails,
        heads,
        [float(i) for i in range(n)],
        [0.0] * n,
        weights={"length": lengths},
        node_ids=ids,
        arc_key=np.arange(m),
        renumber=False,
    )
    expected = sorted(range(m), key=lambda e: (tails[e], heads[e], e))
    assert csr.arc_key.tolist() == expected
    assert csr.node_ids.tolist() == ids  # no renumbering: index i is input node i
    for e, src in enumerate(csr.arc_key.tolist()):
        assert csr.tails[e] == tails[src]
        assert csr.indices[e] == heads[src]
        assert csr.weights["length"][e] == lengths[src]
    assert np.diff(csr.indptr).tolist() == [tails.count(i) for i in range(n)]
