"""Open flow inputs: files (plain or gzip), globs and stdin, line by line with line numbers."""

from __future__ import annotations

import glob
import gzip
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.flows import codes
from tierguard.flows.model import FlowError

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
SNIFF_BYTES = 64 * 1024
STDIN = "-"
STDIN_LABEL = "<stdin>"


@dataclass(frozen=True, slots=True)
class FlowInput:
    """One input file. `label` is what diagnostics show ("<stdin>" for standard input)."""

    path: Path
    label: str
    # A slice of a plain (not gzip) file: bytes [start, end) starting at line `first_line`,
    # both at line starts, so that parallel workers can share one file.
    start: int = 0
    end: int | None = None
    first_line: int = 1

    @property
    def spooled(self) -> bool:
        """Standard input copied to a temporary file; delete it with `release()` when done."""
        return self.label == STDIN_LABEL

    def release(self) -> None:
        if self.spooled:
            self.path.unlink(missing_ok=True)


class InputError(Exception):
    """A path or glob that matches nothing; the CLI turns it into a usage error."""


def expand_inputs(paths: str | Path | Sequence[str | Path]) -> list[FlowInput]:
    """Expand globs, keep order, and spool stdin (`-`) to a temporary file so it can be sniffed."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    inputs: list[FlowInput] = []
    for item in items:
        text = str(item)
        if text == STDIN:
            inputs.append(FlowInput(_spool_stdin(), STDIN_LABEL))
            continue
        if glob.has_magic(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise InputError(f"no file matches {text}")
            inputs.extend(FlowInput(Path(m), m) for m in matches if Path(m).is_file())
            continue
        path = Path(text)
        if not path.is_file():
            raise InputError(f"no such file: {text}")
        inputs.append(FlowInput(path, text))
    return inputs


def _spool_stdin() -> Path:
    with tempfile.NamedTemporaryFile(prefix="tierguard-stdin-", delete=False) as handle:
        shutil.copyfileobj(sys.stdin.buffer, handle)
    return Path(handle.name)


def is_gzip(path: Path) -> bool:
    with path.open("rb") as raw:
        return raw.read(2) == GZIP_MAGIC


# Read buffer for flow files (the default 8 KB means a system call every few records).
READ_BUFFER = 1 << 20


def open_binary(path: Path) -> BinaryIO:
    if is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb", buffering=READ_BUFFER)


def sniff(path: Path) -> bytes:
    """The first bytes of the decompressed content ("" if unreadable)."""
    try:
        with open_binary(path) as stream:
            return stream.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error):
        # A truncated gzip shorter than the sniff window: read what decompresses.
        return _partial_gzip(path)


def _partial_gzip(path: Path) -> bytes:
    chunks: list[bytes] = []
    try:
        with gzip.open(path, "rb") as stream:
            while len(b"".join(chunks)) < SNIFF_BYTES:
                chunk = stream.read1(4096)
                if not chunk:
                    break
                chunks.append(chunk)
    except (OSError, EOFError, zlib.error):
        pass
    return b"".join(chunks)


def read_text(source: FlowInput) -> tuple[str, FlowError | None]:
    """The whole decoded content (for JSON documents such as Whisker responses)."""
    data = bytearray()
    error: FlowError | None = None
    try:
        with open_binary(source.path) as stream:
            while chunk := stream.read(1 << 20):
                data.extend(chunk)
    except (EOFError, zlib.error, OSError) as exc:
        error = _truncated(source.label, data.count(b"\n") + 1, exc)
    return data.decode("utf-8", errors="replace"), error


def iter_lines(source: FlowInput) -> Iterator[tuple[int, str] | FlowError]:
    """Yield (line number, text) for non-blank lines; a truncated gzip ends with a FlowError."""
    number = 0
    try:
        with open_binary(source.path) as stream:
            for number, raw in enumerate(stream, start=1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield problem(codes.MALFORMED_LINE, source.label, number,
                                  f"line is not UTF-8 text ({exc.reason})")
                    continue
                if text.strip():
                    yield number, text
    except (EOFError, zlib.error, OSError) as exc:
        yield _truncated(source.label, number + 1, exc)


def iter_raw_lines(source: FlowInput) -> Iterator[tuple[int, bytes] | FlowError]:
    """Yield (line number, raw bytes) for every line, blank or not, undecoded (JSON readers
    hand bytes straight to orjson); a truncated gzip ends with a FlowError."""
    if source.start or source.end is not None:
        yield from _slice_lines(source)
        return
    number = 0
    try:
        with open_binary(source.path) as stream:
            for number, raw in enumerate(stream, start=1):
                yield number, raw
    except (EOFError, zlib.error, OSError) as exc:
        yield _truncated(source.label, number + 1, exc)


def _slice_lines(source: FlowInput) -> Iterator[tuple[int, bytes] | FlowError]:
    number, left = source.first_line - 1, None if source.end is None else \
        source.end - source.start
    try:
        with source.path.open("rb", buffering=READ_BUFFER) as stream:
            stream.seek(source.start)
            for raw in stream:
                if left is not None:
                    if left <= 0:
                        return
                    left -= len(raw)
                number += 1
                yield number, raw
    except OSError as exc:
        yield _truncated(source.label, number + 1, exc)


def _truncated(label: str, line: int, exc: BaseException) -> FlowError:
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
        return problem(codes.TRUNCATED_FILE, label, line,
                       f"compressed data ends early or is corrupt ({exc}); "
                       f"records from line {line} on are lost")
    return problem(codes.UNREADABLE_FILE, label, line, f"cannot read file: {exc}")


def problem(code: str, file: str, line: int, message: str,
            severity: Severity | None = None, hint: str | None = None) -> FlowError:
    """A FlowError at file:line with the code's documented severity unless one is given."""
    span = Span(file, line, 1, line, 1) if line else Span(file, 0, 0)
    chosen = severity or codes.DEFAULT_SEVERITY[code]
    return FlowError(Diagnostic(code, chosen, message, span=span, hint=hint))
