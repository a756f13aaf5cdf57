"""One-look summary of a parcs network (``parcs info``)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["format_summary", "summary"]


def _undirected_edges(G: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """One attribute dict per undirected edge (parcs graphs store both directions)."""
    seen: set[tuple[Any, Any, Any]] = set()
    out = []
    for u, v, k, d in G.edges(keys=True, data=True):
        key = (min(u, v), max(u, v), k) if u != v else (u, v, k)
        if key in seen and G.has_edge(v, u, k):
            continue
        seen.add(key)
        out.append({"u": u, "v": v, **d})
    return out


def summary(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Summarise a parcs network.

    Parameters
    ----------
    G
        A parcs graph (:func:`parcs.load_network` or :func:`parcs.graph_from_osm`).

    Returns
    -------
    dict
        ``built_km`` (edges with ``built=True``), ``connector_km`` (unbuilt gap connectors,
        straight length), ``km_by_kind``, ``eurovelo_km`` (edges on a EuroVelo route, whatever
        their kind), ``nodes``, ``edges`` (undirected edges: each is stored once per direction),
        ``components`` and ``largest_component_km`` (connected parts when connectors may be
        used, and the built km of the largest), ``built_components`` and
        ``largest_built_component_km`` (the same on built edges only), ``places`` (places
        with at least one access node on the network) and ``places_total``.
    """
    import networkx as nx  # noqa: PLC0415

    edges = _undirected_edges(G)
    km_by_kind: dict[str, float] = defaultdict(float)
    built_km = connector_km = eurovelo_km = 0.0
    U_all = nx.Graph()
    U_all.add_nodes_from(G.nodes)
    U_built = nx.Graph()
    built_len: dict[tuple[Any, Any], float] = defaultdict(float)
    for d in edges:
        km = float(d.get("length", 0.0)) / 1000
        km_by_kind[str(d.get("kind", "unknown"))] += km
        if d.get("built", True):
            built_km += km
            U_built.add_edge(d["u"], d["v"])
            built_len[(d["u"], d["v"])] += km
        else:
            connector_km += km
        if d.get("eurovelo", False):
            eurovelo_km += km
        U_all.add_edge(d["u"], d["v"])

    def largest(U: nx.Graph) -> tuple[int, float]:
        best = 0.0
        comps = list(nx.connected_components(U))
        for comp in comps:
            total = sum(km for (u, _v), km in built_len.items() if u in comp)
            best = max(best, total)
        return len(comps), best

    n_comp, largest_km = largest(U_all)
    n_built, largest_built_km = largest(U_built)
    pl = G.graph.get("parcs_places")
    reached = int(pl["reached"].sum()) if pl is not None else 0
    return {
        "name": G.graph.get("name", ""),
        "built_km": round(built_km, 3),
        "connector_km": round(connector_km, 3),
        "eurovelo_km": round(eurovelo_km, 3),
        "km_by_kind": {k: round(v, 3) for k, v in sorted(km_by_kind.items())},
        "nodes": G.number_of_nodes(),
        "edges": len(edges),
        "components": n_comp,
        "largest_component_km": round(largest_km, 3),
        "built_components": n_built,
        "largest_built_component_km": round(largest_built_km, 3),
        "places": reached,
        "places_total": 0 if pl is None else len(pl),
    }


def format_summary(info: dict[str, Any]) -> str:
    """Format :func:`summary` output as a readable table."""
    rows = [
        ("network", info["name"]),
        ("built greenway", f"{info['built_km']:.1f} km"),
        ("  of which on EuroVélo", f"{info['eurovelo_km']:.1f} km"),
        ("gap connectors (unbuilt)", f"{info['connector_km']:.1f} km"),
    ]
    rows += [(f"  kind: {k}", f"{v:.1f} km") for k, v in info["km_by_kind"].items()]
    rows += [
        ("nodes / edges", f"{info['nodes']} / {info['edges']}"),
        ("components (with connectors)", str(info["components"])),
        ("largest component", f"{info['largest_component_km']:.1f} km built"),
        ("components (built only)", str(info["built_components"])),
        ("largest built component", f"{info['largest_built_component_km']:.1f} km"),
        ("places on the network", f"{info['places']} of {info['places_total']}"),
    ]
    width = max(len(a) for a, _ in rows)
    return "\n".join(f"{a:<{width}}  {b}" for a, b in rows)
