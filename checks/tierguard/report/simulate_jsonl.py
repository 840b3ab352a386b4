"""`simulate --format jsonl`: one JSON object per record, as `ResultRenderer.render` gives it.

Most of a line's bytes are its hit strings and located traces, and those belong to side results,
which the evaluator memoizes: a million records share a few thousand sides. So each side's JSON
is made once (and each mode result's pieces are remembered) and a record's line is joined from
the cached pieces, in exactly the key order and bytes that
`orjson.dumps(renderer.render(query, result))` gives. Records with anything unusual (errors,
notes, doubts, the replace preview) are rendered and dumped whole.
"""

from __future__ import annotations

import orjson

from tierguard.engine.simulate import Query, ResultRenderer
from tierguard.engine.trace import FlowResult, ModeResult, SideResult

_NULL = b"null"


# A mode's pieces: verdict, src and dst hit strings, src and dst located hits (JSON).
_ModeJson = tuple[bytes, bytes, bytes, bytes, bytes]


class SimulateJsonLines:
    """Serialises simulation results as JSON lines, reusing each mode result's serialised trace."""

    def __init__(self, renderer: ResultRenderer) -> None:
        self.renderer = renderer
        # id -> (object, its JSON pieces); the entry keeps the object alive, so its id cannot
        # be reused while it is cached. Mode results are memoized by the evaluator and shared
        # by many records; sides even more so.
        self._sides: dict[int, tuple[SideResult, bytes, bytes]] = {}
        self._modes: dict[int, tuple[ModeResult, _ModeJson]] = {}

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
            found = self._sides[id(side)] = (side, orjson.dumps(strings), orjson.dumps(located))
        return found[1], found[2]

    def _mode(self, mode: ModeResult) -> _ModeJson | None:
        found = self._modes.get(id(mode))
        if found is not None and found[0] is mode:
            return found[1]
        src, dst = self._side(mode.src), self._side(mode.dst)
        if src is None or dst is None:
            return None  # a side's doubts make the record uncertain: rendered whole
        pieces = (orjson.dumps(mode.verdict), src[0], dst[0], src[1], dst[1])
        self._modes[id(mode)] = (mode, pieces)
        return pieces

    def _fast(self, query: Query, result: FlowResult | None) -> bytes | None:
        if (result is None or query.packet is None or query.error or query.notes or result.error
                or result.doubts or result.notes or result.enforced is None
                or result.pending is None
                or (self.renderer.with_replace and result.replace is not None)):
            return None
        enforced, pending = self._mode(result.enforced), self._mode(result.pending)
        if enforced is None or pending is None:
            return None
        verdict, es, ds, el, dl = enforced
        pending_verdict, ps, qs, pl, ql = pending
        return b"".join((
            orjson.dumps(self.renderer.head(query))[:-1],
            b',"verdict":', verdict, b',"pending_verdict":', pending_verdict,
            b',"enforced_policies":{"src":', es, b',"dst":', ds,
            b'},"pending_policies":{"src":', ps, b',"dst":', qs,
            b'},"trace":{"enforced":{"src":', el, b',"dst":', dl,
            b'},"pending":{"src":', pl, b',"dst":', ql, b"}}}\n"))
