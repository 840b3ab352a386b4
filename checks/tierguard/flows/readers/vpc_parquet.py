"""AWS VPC Flow Logs delivered as Parquet, read with DuckDB. Column names may use `_` or `-`.

The "line" of a record is its 1-based row number in the file.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb

from tierguard.flows import codes
from tierguard.flows.model import SourceFormat
from tierguard.flows.readers.base import Item, ReadOptions
from tierguard.flows.readers.vpc import record_or_error
from tierguard.flows.source import FlowInput, problem

BATCH = 10_000


def read(source: FlowInput, options: ReadOptions) -> Iterator[Item]:
    connection = duckdb.connect()
    try:
        cursor = connection.execute("SELECT * FROM read_parquet(?)", [str(source.path)])
    except duckdb.Error as exc:
        yield problem(codes.UNREADABLE_FILE, source.label, 0, f"cannot read Parquet: {exc}")
        connection.close()
        return
    names = [column[0].replace("_", "-").lower() for column in cursor.description]
    number = 0
    skipped = 0
    try:
        while rows := cursor.fetchmany(BATCH):
            for values in rows:
                number += 1
                row = {name: ("-" if value is None else value) for name, value in zip(names, values)}
                status = row.get("log-status", "OK")
                if status == "NODATA":
                    skipped += 1
                    continue
                if status == "SKIPDATA":
                    yield problem(codes.SKIPPED_DATA, source.label, number,
                                  "log-status SKIPDATA: AWS skipped records in this window")
                    continue
                yield from record_or_error(row, source.label, number, SourceFormat.VPC_PARQUET)
    finally:
        connection.close()
    if skipped:
        yield problem(codes.SKIPPED_EVENTS, source.label, 0,
                      f"{skipped} NODATA records (no traffic on the ENI) counted and skipped")
