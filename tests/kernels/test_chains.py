"""The chain kernel (OSM simplification) against the plain-Python walk it replaced."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from parcs._kernels.chains import chain_walks

SETTINGS = settings(deadline=None, derandomize=True, max_examples=300)


def reference_chains(segs, sigs, keep):
    """The dict-and-list version of ``osm._chains`` before issue 11 (slow, obviously right)."""
    adj = defaultdict(list)
    for j, (a, b) in enumerate(segs):
        adj[a].append(j)
        adj[b].append(j)
    end = {n: len(inc) != 2 or n in keep or sigs[inc[0]] != sigs[inc[1]] for n, inc in adj.items()}
    visited = [False] * len(segs)
    chains = []

    def walk(start, first):
        nodes, seg_idx = [start], []
        cur, j = start, first
        while True:
            visited[j] = True
            seg_idx.append(j)
            a, b = segs[j]
            cur = b if a == cur else a
            nodes.append(cur)
            if end[cur]:
                break
            s1, s2 = adj[cur]
            j = s2 if s1 == j else s1
        chains.append((nodes, seg_idx))

    for n in sorted(adj):
        if end[n]:
            for j in adj[n]:
                if not visited[j]:
                    walk(n, j)
    for j in range(len(segs)):
        if not visited[j]:
            stack, members = [segs[j][0]], {segs[j][0]}
            while stack:
                for k in adj[stack.pop()]:
                    for m in segs[k]:
                        if m not in members:
                            members.add(m)
                            stack.append(m)
            start = min(members)
            end[start] = True
            walk(start, adj[start][0])
    return chains


@st.composite
def segment_sets(draw):
    """Undirected simple segment sets (no loops, no repeated pair): paths, rings, meshes."""
    n = draw(st.integers(2, 14))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
            max_size=30,
            unique_by=lambda p: (min(p), max(p)),
        )
    )
    sigs = draw(st.lists(st.integers(0, 2), min_size=len(pairs), max_size=len(pairs)))
    keep = draw(st.sets(st.integers(0, n - 1), max_size=3))
    return n, pairs, sigs, keep


@SETTINGS
@given(case=segment_sets())
def test_chain_walks_match_the_python_walk(case):
    n, pairs, sigs, keep = case
    want = reference_chains(pairs, sigs, keep)
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    mask = np.zeros(n, dtype=bool)
    mask[list(keep)] = True
    node_ptr, nodes, seg_ptr, segs = chain_walks(n, a, b, np.array(sigs, dtype=np.int64), mask)
    got = [
        (nodes[node_ptr[c] : node_ptr[c + 1]].tolist(), segs[seg_ptr[c] : seg_ptr[c + 1]].tolist())
        for c in range(len(node_ptr) - 1)
    ]
    assert got == want


def test_ring_and_path_hand_made():
    # HAND-MADE: ring 3-1-2-3, walked from its smallest node 1 along its first segment (3-1),
    # and the path 4-5-6 (walked first: from the end node 4)
    a = np.array([3, 1, 2, 4, 5], dtype=np.int64)
    b = np.array([1, 2, 3, 5, 6], dtype=np.int64)
    node_ptr, nodes, _, _ = chain_walks(7, a, b, np.zeros(5, dtype=np.int64), np.zeros(7, bool))
    chains = [nodes[node_ptr[c] : node_ptr[c + 1]].tolist() for c in range(len(node_ptr) - 1)]
    assert chains == [[4, 5, 6], [1, 3, 2, 1]]
