"""Software prefetch for the search kernels.

A search is limited by memory latency, not by arithmetic, once the graph no longer fits in
the core's L2 cache (about 100k nodes here). When a node is pushed on the heap, the kernel
knows it will read that node's arcs some pops later, so it asks the CPU to start loading them
at once (:func:`prefetch_arcs`). One-to-all at 100k and 1M nodes took 0.6-0.7x the time of
the same kernel without it (docs/kernels.md, "Prefetching"). The Dijkstra kernels do it on
graphs of at least :data:`PREFETCH_MIN_ARCS` arcs; A*, whose searches are short, never.

A prefetch is only a hint: it never faults and never changes a result, even for an address
one past the end of an array. With ``NUMBA_DISABLE_JIT=1`` (kernels run as plain Python, e.g.
for coverage) it is a no-op function.
"""

from __future__ import annotations

import typing

import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from parcs._kernels._jit import jit

__all__ = ["PREFETCH_MIN_ARCS", "prefetch", "prefetch_arcs"]

#: Kernels prefetch only on graphs with at least this many arcs. Smaller graphs (about 1 MB of
#: arrays) stay in the L2 cache, where the extra load and hints cost 5-15% (docs/kernels.md).
PREFETCH_MIN_ARCS = 1 << 16

_I32 = ir.IntType(32)


def _prefetch_python(arr, i):  # type: ignore[no-untyped-def]  # noqa: ARG001
    """Pure-Python stand-in: a hint has nothing to do when nothing is compiled."""


@intrinsic
def _prefetch_llvm(typingctx, arr, i):  # type: ignore[no-untyped-def]  # noqa: ARG001
    """Hint the CPU to load ``arr[i]`` into every cache level (LLVM ``llvm.prefetch``).

    ``i`` is not checked against the array bounds and may not be negative.
    """
    if not isinstance(arr, types.Array) or not isinstance(i, types.Integer):
        return None
    sig = types.void(arr, i)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        arr_t = signature.args[0]
        ary = context.make_array(arr_t)(context, builder, args[0])
        # numba's cgutils is unannotated
        ptr = cgutils.get_item_pointer(  # type: ignore[no-untyped-call]
            context, builder, arr_t, ary, [args[1]], wraparound=False
        )
        byte_ptr = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        fnty = ir.FunctionType(ir.VoidType(), [byte_ptr.type, _I32, _I32, _I32])
        fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module, fnty, "llvm.prefetch.p0"
        )
        # read (0), highest temporal locality (3: keep in all levels), data cache (1)
        builder.call(
            fn, [byte_ptr, ir.Constant(_I32, 0), ir.Constant(_I32, 3), ir.Constant(_I32, 1)]
        )
        return context.get_dummy_value()

    return sig, codegen


# numba.config sets its options at run time: mypy cannot see them
prefetch = _prefetch_python if numba.config.DISABLE_JIT else _prefetch_llvm  # type: ignore[attr-defined]


@jit
@typing.no_type_check
def prefetch_arcs(indptr, indices, weights, v):
    """Start loading the first arcs of node ``v`` (heads and weights), to be read later."""
    first = indptr[v]
    prefetch(indices, first)
    prefetch(weights, first)
