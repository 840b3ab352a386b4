"""`simulate --format jsonl`: one JSON object per record, as `ResultRenderer.render` gives it.

Most of a line's bytes are its hit strings and located traces, and those belong to side results,
which the evaluator memoizes: a million records share a few thousand sides. So each side's JSON
is made once and a record's line is joined from the cached pieces, in exactly the key order and
bytes that `orjson.dumps(renderer.render(query, result))` gives. Records with anything unusual
(errors, notes, doubts, the replace preview) are rendered and dumped whole.
"""

from __future__ import annotations

import orjson

from tierguard.engine.simulate import Query, ResultRenderer
from tierguard.engine.trace import FlowResult, SideResult, Verdict

_NULL = b"null"



def _exact(data: bytes) -> bytes:
    """A copy the size of its content. orjson returns bytes objects inside a larger buffer
    (about 4 KB even for `"allow"`), which is harmless for a line written and dropped but
    multiplies the memory of every piece kept in a cache."""
    return bytes(memoryview(data))


class SimulateJsonLines:
    """Serialises simulation results as JSON lines, reusing each side's serialised trace."""

    def __init__(self, renderer: ResultRenderer) -> None:
        self.renderer = renderer
        # id(side) -> (side, hit strings JSON, located hits JSON); the entry keeps the side
        # alive, so its id cannot be reused while it is cached. (Mode results are not worth
        # caching: a record's pair of sides rarely repeats.)
        self._sides: dict[int, tuple[SideResult, bytes, bytes]] = {}
        self._verdicts = {verdict: _exact(orjson.dumps(verdict.value)) for verdict in Verdict}

    def line(self, query: Query, result: FlowResult | None) -> bytes:
        """The record's JSON line (with its newline)."""
        fast = self._fast(query, result)
        if fast is not None:
            return fast
        return orjson.dumps(self.renderer.render(query, result)) + b"\n"

    def _side(self, side: SideResult | None) -> tuple[bytes, bytes] | None:
        """(strings, located) JSON of a side without doubts; None when it has doubts."""
        if side is None:
            return _NULL, _NULL
        found = self._sides.get(id(side))
        if found is None or found[0] is not side:
            strings, located, doubts = self.renderer.side_parts(side)
            if doubts:
                return None
            found = self._sides[id(side)] = (side, _exact(orjson.dumps(strings)),
                                             _exact(orjson.dumps(located)))
        return found[1], found[2]

    def _fast(self, query: Query, result: FlowResult | None) -> bytes | None:
        if (result is None or query.packet is None or query.error or query.notes or result.error
                or result.doubts or result.notes or result.enforced is None
                or result.pending is None
                or (self.renderer.with_replace and result.replace is not None)):
            return None
        enforced, pending = result.enforced, result.pending
        sides = (self._side(enforced.src), self._side(enforced.dst), self._side(pending.src),
                 self._side(pending.dst))
        if None in sides:
            return None  # a side's doubts make the record uncertain: rendered whole
        (es, el), (ds, dl), (ps, pl), (qs, ql) = sides  # type: ignore[misc]
        return b"".join((
            orjson.dumps(self.renderer.head(query))[:-1],
            b',"verdict":', self._verdicts[enforced.verdict],
            b',"pending_verdict":', self._verdicts[pending.verdict],
            b',"enforced_policies":{"src":', es, b',"dst":', ds,
            b'},"pending_policies":{"src":', ps, b',"dst":', qs,
            b'},"trace":{"enforced":{"src":', el, b',"dst":', dl,
            b'},"pending":{"src":', pl, b',"dst":', ql, b"}}}\n"))
