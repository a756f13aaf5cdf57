"""One-look summary of a parcs network (``parcs info``), computed on the cached arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from parcs._kernels.components import connected_components
from parcs.csr import arc_values, csr_of

if TYPE_CHECKING:
    import networkx as nx

    from parcs.csr import CSRGraph

__all__ = ["Summary", "format_summary", "summary"]


class Summary(dict[str, Any]):
    """The summary of a network: a dict whose ``repr`` is the printed table.

    Use it as the plain dict it is (``info["built_km"]``), or :meth:`to_dict` for a copy.
    """

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as a plain dict (JSON-ready)."""
        return dict(self)

    def __repr__(self) -> str:
        """Return the summary table (:func:`format_summary`)."""
        return format_summary(self)

    __str__ = __repr__


def _components(csr: CSRGraph, one_per_edge: np.ndarray, built_km: np.ndarray) -> tuple[int, float]:
    """Components touching at least one edge, and the built km of the largest."""
    tails = csr.tails
    labels = np.asarray(connected_components(csr.indptr, csr.indices, tails, csr.n_nodes))
    touched = np.zeros(csr.n_nodes, dtype=bool)
    touched[tails] = True
    if not touched.any():
        return 0, 0.0
    km = np.bincount(labels[tails[one_per_edge]], weights=built_km, minlength=csr.n_nodes)
    return int(len(np.unique(labels[touched]))), float(km.max())


def summary(G: nx.MultiDiGraph) -> Summary:
    """Summarise a parcs network.

    Parameters
    ----------
    G
        A parcs graph (:func:`parcs.load_network`, :func:`parcs.graph_from_osm`...).

    Returns
    -------
    Summary
        A dict (its ``repr`` is the table of :func:`format_summary`): ``built_km`` (edges
        with ``built=True``, ``length``), ``connector_km`` (unbuilt edges), ``km_by_kind``,
        ``eurovelo_km`` (edges on a EuroVelo route, whatever their kind), ``nodes``, ``edges``
        (undirected edges: each is stored once per direction), ``components`` and
        ``largest_component_km`` (connected parts, isolated nodes ignored, when connectors
        may be used, and the built km of the largest), ``built_components`` and
        ``largest_built_component_km`` (the same on built edges only), ``places`` (places
        with at least one access node on the network) and ``places_total``.

    Raises
    ------
    ValidationError
        If `G` breaks the graph contract (negative or NaN lengths included).
    """
    csr = csr_of(G)
    one = csr.undirected  # one arc per undirected edge
    km = arc_values(G, "length", default=0.0).astype(np.float64)[one] / 1000.0
    built = ~csr.connector[one]
    eurovelo = arc_values(G, "eurovelo", default=False).astype(bool)[one]
    kinds = np.asarray(csr.arc_kind)[one]
    by_kind = np.bincount(kinds, weights=km, minlength=len(csr.kinds))
    n_comp, largest_km = _components(csr, one, np.where(built, km, 0.0))
    b_csr = csr_of(G, built_only=True)
    n_built, largest_built_km = _components(b_csr, b_csr.undirected, km[built])
    pl = G.graph.get("parcs_places")
    return Summary(
        {
            "name": G.graph.get("name", ""),
            "built_km": round(float(km[built].sum()), 3),
            "connector_km": round(float(km[~built].sum()), 3),
            "eurovelo_km": round(float(km[eurovelo].sum()), 3),
            "km_by_kind": {
                k: round(float(v), 3) for k, v in zip(csr.kinds, by_kind, strict=True) if k
            },
            "nodes": csr.n_nodes,
            "edges": int(one.sum()),
            "components": n_comp,
            "largest_component_km": round(largest_km, 3),
            "built_components": n_built,
            "largest_built_component_km": round(largest_built_km, 3),
            "places": int(pl["reached"].sum()) if pl is not None else 0,
            "places_total": 0 if pl is None else len(pl),
        }
    )


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
