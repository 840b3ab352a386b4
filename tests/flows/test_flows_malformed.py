"""Malformed input is counted and reported with file and line, and reading continues."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest
from flows_testlib import brief, fixture, read
from tierguard.flows import InputError, read_flows


def test_every_problem_reported_by_line_and_reading_continues() -> None:
    records, errors = read("ce-malformed.jsonl")
    assert brief(errors) == [
        ("FLW503", 2, "error"),    # action "maybe"
        ("FLW507", 3, "warning"),  # same record as line 1
        ("FLW501", 4, "error"),    # not JSON
        ("FLW508", 5, "warning"),  # ends before it starts: swapped, kept
        ("FLW503", 6, "error"),    # source_type "pod"
        ("FLW506", 7, "warning"),  # bad hit string: record kept, hit reported
        ("FLW501", 8, "error"),    # half-written last line
    ]
    assert errors[0].message == "action 'maybe' is not one of allow, deny"
    assert errors[-1].message == ("not valid JSON at column 42: unexpected end of data "
                                  "(half-written last line?)")
    assert [r.line for r in records] == [1, 5, 7]
    skewed = records[1]
    assert (skewed.start_ms, skewed.end_ms) == (1_760_000_300_000, 1_760_000_600_000)
    # IPv6 is valid input, normalized to the canonical form
    assert (skewed.source.ip, skewed.dest.ip) == ("fd00:10::5", "fd00:10::9")
    assert records[2].enforced == () and records[2].enforced_raw == ("0|default|np:shop|deny|0",)


def test_duplicates_across_files_are_reported_once_read(tmp_path: Path) -> None:
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(Path(fixture("ce.jsonl")).read_bytes())
    items = list(read_flows([fixture("ce.jsonl"), str(copy)]))
    duplicates = [i for i in items if getattr(i, "code", "") == "FLW507"]
    assert [(d.file, d.line) for d in duplicates] == [(str(copy), n) for n in (1, 2, 3, 4)]
    assert len(list(read_flows([fixture("ce.jsonl"), str(copy)], dedupe=False))) == 8


def test_future_record_is_clock_skew(tmp_path: Path) -> None:
    path = tmp_path / "future.jsonl"
    line = Path(fixture("ce.jsonl")).read_text().splitlines()[0]
    path.write_text(line.replace("1760000300,", "1760900300,") + "\n")
    records, errors = read(str(path))
    assert brief(errors) == [("FLW508", 1, "warning")]
    assert errors[0].message == "ends 250.0 h in the future; kept"
    assert len(records) == 1


def test_truncated_gzip_keeps_what_came_before(tmp_path: Path) -> None:
    body = Path(fixture("ce.jsonl")).read_bytes() * 50  # 200 lines, 4 distinct records
    packed = gzip.compress(body)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) - 40])
    records, errors = read(str(path), dedupe=False)
    assert errors[-1].code == "FLW505"
    assert errors[-1].message.startswith("compressed data ends early or is corrupt")
    assert 0 < len(records) < 200
    assert errors[-1].line == len(records) + 1 + len([e for e in errors if e.code == "FLW501"])


def test_gzip_file_reads_like_plain(tmp_path: Path) -> None:
    path = tmp_path / "flows.log"  # no .gz suffix: detected by magic bytes
    path.write_bytes(gzip.compress(Path(fixture("goldmane.jsonl")).read_bytes()))
    records, errors = read(str(path))
    assert errors == [] and [r.line for r in records] == [1, 2]


def test_unknown_format_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello world\n")
    records, errors = read(str(path))
    assert records == [] and brief(errors) == [("FLW509", 1, "error")]


def test_unknown_goldmane_enum(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    text = Path(fixture("goldmane.jsonl")).read_text().replace('"reporter":2', '"reporter":7', 1)
    path.write_text(text)
    records, errors = read(str(path))
    assert brief(errors) == [("FLW503", 1, "error")]
    assert errors[0].message == "Key.reporter 7 is not a known value (1, 2)"
    assert [r.line for r in records] == [2]


def test_whisker_truncated_document(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    text = Path(fixture("whisker.json")).read_text()
    path.write_text(text[: text.index('"action": "Deny",\n      "source_name"')])
    records, errors = read(str(path))
    assert [r.line for r in records] == [4]
    assert brief(errors) == [("FLW501", 40, "error")]  # where the JSON breaks


def test_globs_and_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    records, errors = read(fixture("eks-*.log"))
    assert sorted({r.file for r in records}) == [fixture("eks-cloudwatch.log"),
                                                 fixture("eks-node.log")]
    assert [e.code for e in errors] == ["FLW512", "FLW513"]
    stdin = io.TextIOWrapper(io.BytesIO(Path(fixture("vpc-v2.txt")).read_bytes()))
    monkeypatch.setattr(sys, "stdin", stdin)
    records, _ = read("-")
    assert [(r.file, r.line) for r in records] == [("<stdin>", 1), ("<stdin>", 2)]


def test_missing_path_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no such file: /nonexistent/flows.jsonl"):
        list(read_flows("/nonexistent/flows.jsonl"))
    with pytest.raises(InputError, match="no file matches"):
        list(read_flows("/nonexistent/*.jsonl"))
