"""Chains of segments between junctions: the simplification of an OSM graph, on arrays.

Used by :mod:`parcs.network.osm` to merge the segments of OSM ways into edges, as osmnx's
``simplify_graph`` does (the rules are in ``osm._chains``' docstring and ``docs/osm.md``).
"""

from __future__ import annotations

import typing

import numpy as np

from parcs._kernels._jit import jit

__all__ = ["chain_walks"]


@jit
@typing.no_type_check
def _walk(start, first, seg_a, seg_b, adj_ptr, adj, end, visited, nodes, n_nodes, segs, n_segs):
    """Walk from `start` along segment `first` to the next end node; append to the outputs."""
    nodes[n_nodes] = start
    n_nodes += 1
    cur = start
    j = first
    while True:
        visited[j] = True
        segs[n_segs] = j
        n_segs += 1
        cur = seg_b[j] if seg_a[j] == cur else seg_a[j]
        nodes[n_nodes] = cur
        n_nodes += 1
        if end[cur]:
            break
        s1 = adj[adj_ptr[cur]]
        s2 = adj[adj_ptr[cur] + 1]
        j = s2 if s1 == j else s1
    return n_nodes, n_segs


@jit
@typing.no_type_check
def chain_walks(n, seg_a, seg_b, seg_sig, keep):  # noqa: PLR0912
    """Group segments into chains between end nodes.

    Parameters
    ----------
    n
        Number of nodes (segment ends are node indexes ``0..n-1``, numbered in id order).
    seg_a, seg_b
        int64[s] ends of each undirected segment (``seg_a != seg_b``).
    seg_sig
        int64[s] signature of each segment: a chain never joins two signatures.
    keep
        bool[n] nodes that always end a chain (junction refs).

    A node ends chains when it has not exactly two segments, is kept, or joins two segments
    of different signatures. Chains are walked from every end node in index order, along its
    segments in input order; the segments left over form isolated rings, each walked once
    from its smallest node.

    Returns
    -------
    node_ptr, nodes
        Chain ``c`` visits ``nodes[node_ptr[c]:node_ptr[c+1]]`` in walking order.
    seg_ptr, segs
        ... along the segments ``segs[seg_ptr[c]:seg_ptr[c+1]]``.
    """
    s = seg_a.shape[0]
    deg = np.zeros(n + 1, dtype=np.int64)
    for j in range(s):
        deg[seg_a[j] + 1] += 1
        deg[seg_b[j] + 1] += 1
    adj_ptr = np.cumsum(deg)
    fill = adj_ptr[:-1].copy()
    adj = np.empty(2 * s, dtype=np.int64)
    for j in range(s):  # incident segments of each node, in segment order
        adj[fill[seg_a[j]]] = j
        fill[seg_a[j]] += 1
        adj[fill[seg_b[j]]] = j
        fill[seg_b[j]] += 1
    end = np.zeros(n, dtype=np.bool_)
    for v in range(n):
        d = adj_ptr[v + 1] - adj_ptr[v]
        if d != 2 or keep[v]:
            end[v] = True
        elif seg_sig[adj[adj_ptr[v]]] != seg_sig[adj[adj_ptr[v] + 1]]:
            end[v] = True
    visited = np.zeros(s, dtype=np.bool_)
    nodes = np.empty(2 * s, dtype=np.int64)
    segs = np.empty(s, dtype=np.int64)
    node_ptr = np.zeros(s + 1, dtype=np.int64)
    seg_ptr = np.zeros(s + 1, dtype=np.int64)
    n_nodes = 0
    n_segs = 0
    c = 0
    for v in range(n):
        if not end[v]:
            continue
        for q in range(adj_ptr[v], adj_ptr[v + 1]):
            j = adj[q]
            if not visited[j]:
                n_nodes, n_segs = _walk(
                    v, j, seg_a, seg_b, adj_ptr, adj, end, visited, nodes, n_nodes, segs, n_segs
                )
                c += 1
                node_ptr[c] = n_nodes
                seg_ptr[c] = n_segs
    for j in range(s):  # isolated rings: start from the ring's smallest node
        if visited[j]:
            continue
        start = min(seg_a[j], seg_b[j])
        cur = seg_b[j]
        prev = j
        while cur != seg_a[j]:  # go round once to find the smallest node
            start = min(start, cur)
            s1 = adj[adj_ptr[cur]]
            s2 = adj[adj_ptr[cur] + 1]
            prev = s2 if s1 == prev else s1
            cur = seg_b[prev] if seg_a[prev] == cur else seg_a[prev]
        end[start] = True
        n_nodes, n_segs = _walk(
            start,
            adj[adj_ptr[start]],
            seg_a,
            seg_b,
            adj_ptr,
            adj,
            end,
            visited,
            nodes,
            n_nodes,
            segs,
            n_segs,
        )
        c += 1
        node_ptr[c] = n_nodes
        seg_ptr[c] = n_segs
    return node_ptr[: c + 1], nodes[:n_nodes], seg_ptr[: c + 1], segs
