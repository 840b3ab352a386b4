"""Byte-for-byte reproducible output: gzip without timestamps or names, stable JSON and YAML."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml


def json_line(record: Mapping[str, object]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def gzip_bytes(lines: Iterable[str]) -> bytes:
    buffer = io.BytesIO()
    # mtime=0 and no file name: the same records give the same bytes on every run.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as stream:
        for line in lines:
            stream.write(line.encode("utf-8"))
            stream.write(b"\n")
    return buffer.getvalue()


_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when available


class _Dumper(_Base):  # type: ignore[valid-type,misc]
    """kubectl-like YAML: block style; strings that would read as something else get double quotes."""


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    implicit = dumper.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    needs_quotes = implicit != "tag:yaml.org,2002:str" or value[:1] in "*&!|>'\"%@`#,[]{}-?: " or ": " in value
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if needs_quotes and value else None)


_Dumper.add_representer(str, _str_presenter)


def yaml_text(document: Mapping[str, Any], header: str = "") -> str:
    body = yaml.dump(document, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=4096,
                     allow_unicode=True)
    return header + body


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds exactly it; True if written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True
