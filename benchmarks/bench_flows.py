"""Flow store benchmark: import N Calico Enterprise records, then query the aggregated store.

Generates the input into /tmp (never into the project), imports it with `FlowStore`, and prints
throughput, peak memory (ru_maxrss of this process, which includes DuckDB) and query times.

    .venv/bin/python benchmarks/bench_flows.py --records 1000000
    .venv/bin/python benchmarks/bench_flows.py --records 100000 --records 1000000
    .venv/bin/python benchmarks/bench_flows.py --records 1000000 --prefill 9   # 10x store
    .venv/bin/python benchmarks/bench_flows.py --records 200000 --read-flows   # Python reader
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tierguard.flows import FlowRecord, read_flows
from tierguard.flows.store import FlowStore

APPS = ("frontend", "cartservice", "checkoutservice", "productcatalogservice", "currencyservice",
        "paymentservice", "shippingservice", "emailservice", "recommendationservice", "adservice",
        "redis-cart", "loadgenerator")
HOSTS = tuple(f"ip-10-0-{n}-{n * 7 % 250}.ec2.internal" for n in range(1, 13))
BASE_TIME = 1_741_000_000
KEYS = 2_000


def _labels(app: str) -> dict[str, list[str]]:
    return {"labels": [f"app={app}", "pod-template-hash=6b8c7d9f4b", "tier=web"]}


def record(n: int) -> dict[str, object]:
    """A realistic (~1.7 KB) Enterprise record.

    KEYS flow keys, each reported once per 5-minute window (felix's flush) by one of 12 nodes,
    so 1,000,000 records cover 1,000,000 / KEYS windows (about 42 hours at 2,000 keys).
    """
    key, window = n % KEYS, n // KEYS
    src = APPS[key % len(APPS)]
    dst = APPS[(key // len(APPS)) % len(APPS)]
    port = 3550 + (key // 144) % 14
    deny = key % 17 == 0
    start = BASE_TIME + window * 300 + key % 240  # per-node timers are not aligned
    hit = ("0|security|security.block-known-bad|deny|0" if deny
           else f"0|default|default/default.{dst}|allow|{key % 3}")
    return {
        "start_time": start, "end_time": start + 300,
        "source_ip": None, "source_name": "-", "source_name_aggr": f"{src}-6b8c7d9f4b-*",
        "source_namespace": "default", "nat_outgoing_ports": None, "source_port": None,
        "source_type": "wep", "source_labels": _labels(src),
        "dest_ip": None, "dest_name": "-", "dest_name_aggr": f"{dst}-5d9b6c7f8d-*",
        "dest_namespace": "default", "dest_port": port, "dest_type": "wep",
        "dest_labels": _labels(dst), "dest_service_namespace": "default",
        "dest_service_name": dst, "dest_service_port": "grpc", "dest_service_port_num": port,
        "dest_domains": None, "proto": "tcp", "action": "deny" if deny else "allow",
        "reporter": "src" if key % 2 else "dst",
        "policies": {"all_policies": [hit], "enforced_policies": [hit], "pending_policies": [hit],
                     "transit_policies": []},
        "bytes_in": 1000 + n % 5000, "bytes_out": 2000 + n % 7000, "num_flows": 1 + n % 4,
        "num_flows_started": 1, "num_flows_completed": 1, "packets_in": 10 + n % 50,
        "packets_out": 12 + n % 60, "transit_bytes_in": 0, "transit_bytes_out": 0,
        "transit_packets_in": 0, "transit_packets_out": 0, "http_requests_allowed_in": 0,
        "http_requests_denied_in": 0, "process_name": "-", "num_process_names": 0,
        "process_id": "-", "num_process_ids": 0, "process_args": ["-"], "num_process_args": 0,
        "original_source_ips": None, "num_original_source_ips": 0,
        "tcp_mean_send_congestion_window": 0, "tcp_min_send_congestion_window": 0,
        "tcp_mean_smooth_rtt": 0, "tcp_max_smooth_rtt": 0, "tcp_mean_min_rtt": 0,
        "tcp_max_min_rtt": 0, "tcp_mean_mss": 0, "tcp_min_mss": 0,
        "tcp_total_retransmissions": 0, "tcp_lost_packets": 0, "tcp_unrecovered_to": 0,
        "host": HOSTS[key % len(HOSTS)], "@timestamp": (start + 300) * 1000,
        "cluster": "bench"}


def generate(path: Path, count: int, files: int) -> list[Path]:
    """Write `count` records into `files` files; reuse them if they already exist."""
    paths = [path / f"flows-{count}-{index:03d}.jsonl" for index in range(files)]
    if all(p.exists() for p in paths):
        return paths
    per_file = count // files
    for index, target in enumerate(paths):
        with target.open("w", encoding="utf-8") as out:
            first = index * per_file
            for n in range(first, first + per_file):
                out.write(json.dumps(record(n), separators=(",", ":")))
                out.write("\n")
    return paths


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # all threads, DuckDB's included
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prefill(store: FlowStore, count: int, factor: int) -> None:
    """Make the store look as if it already held `factor` times `count` records: that many
    dedupe hashes in `seen`, and `factor` times the aggregate rows a `count` import creates
    (the same 2,000 flow keys, 42 hours per 1,000,000 records), in hours before the real data."""
    con = store.connection
    con.execute(f"INSERT INTO seen SELECT hash(i, 'prefill'), {BASE_TIME * 1000} - i "
                f"FROM range({factor * count}) t(i)")
    rows = factor * KEYS * max(1, count * 300 // KEYS // 3600)
    con.execute(f"""
        INSERT INTO flows BY NAME SELECT hash(i % {KEYS}, 'prefill-key') AS key_hash,
            ({BASE_TIME * 1000} // 3600000 - 1 - i // {KEYS}) * 3600000 AS bucket_ms,
            'wep' AS src_type, 'default' AS src_namespace, '' AS src_name,
            'app' || (i % {KEYS} % 12) || '-6b8c7d9f4b-*' AS src_name_aggr, NULL AS src_ip,
            ['app=app' || (i % {KEYS} % 12)] AS src_labels, '' AS src_workload, '' AS src_resolved_by,
            'wep' AS dst_type, 'default' AS dst_namespace, '' AS dst_name,
            'svc' || (i % {KEYS} % 12) || '-5d9b6c7f8d-*' AS dst_name_aggr, NULL AS dst_ip,
            ['app=svc' || (i % {KEYS} % 12)] AS dst_labels, '' AS dst_workload, '' AS dst_resolved_by,
            3550 + i % {KEYS} % 14 AS dest_port, 6 AS proto_num, 'tcp' AS proto_name,
            CASE WHEN i % {KEYS} % 2 = 0 THEN 'src' ELSE 'dst' END AS reporter,
            CASE WHEN i % {KEYS} % 17 = 0 THEN 'deny' ELSE 'allow' END AS action,
            ['0|default|np:default/p' || (i % {KEYS}) || '|allow|0'] AS enforced,
            ['0|default|np:default/p' || (i % {KEYS}) || '|allow|0'] AS pending,
            'default' AS svc_namespace, 'svc' || (i % {KEYS} % 12) AS svc_name, 'grpc' AS svc_port_name,
            3550 AS svc_port, 'calico-enterprise' AS source_format,
            bucket_ms AS first_seen_ms, bucket_ms + 3600000 AS last_seen_ms, 12 AS records,
            24 AS num_flows, 600 AS packets_in, 700 AS packets_out, 36000 AS bytes_in,
            48000 AS bytes_out
        FROM range({rows}) t(i)""")
    print(f"prefill: store already holds {factor * count:,} record hashes and {rows:,} "
          "aggregate rows")


def run(count: int, files: int, workdir: Path, factor: int) -> None:
    started = time.perf_counter()
    paths = generate(workdir, count, files)
    size = sum(p.stat().st_size for p in paths)
    print(f"input: {count:,} records in {files} files, {size / 1e9:.2f} GB "
          f"({size / count:.0f} B/record), generated in {time.perf_counter() - started:.1f} s")
    store_path = workdir / f"store-{count}.duckdb"
    store_path.unlink(missing_ok=True)
    with FlowStore(store_path, read_only=False) as store:
        if factor:
            prefill(store, count, factor)
        load_before = os.getloadavg()[0]
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        report = store.import_files([str(p) for p in paths])
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
        fast = sum(1 for f in report.files if f.fast_path)
        cores = os.cpu_count() or 1
        print(f"import: {report.records:,} records in {elapsed:.1f} s wall = "
              f"{report.records / elapsed:,.0f} records/s ({size / elapsed / 1e6:.0f} MB/s), "
              f"fast path {fast}/{len(report.files)} files, peak RSS {peak_rss_mb():,.0f} MB")
        print(f"        CPU {cpu:.1f} s on {cores} cores = {report.records / (cpu / cores):,.0f} "
              f"records/s if the cores were ours alone; load average {load_before:.1f} -> "
              f"{os.getloadavg()[0]:.1f}")
        t0 = time.perf_counter()
        again = store.import_files([str(p) for p in paths])
        print(f"re-import (idempotent): {again.new_records} new records, "
              f"{time.perf_counter() - t0:.2f} s")
        for label, action in (("summary (totals, top talkers, denied, unresolved)",
                               lambda: store.summary()),
                              ("records() full scan", lambda: sum(1 for _ in store.records()))):
            t0 = time.perf_counter()
            result = action()
            took = time.perf_counter() - t0
            extra = f"{result.flow_keys:,} flow keys" if hasattr(result, "flow_keys") else \
                f"{result:,} aggregated records"
            print(f"query: {label}: {took * 1000:.0f} ms ({extra})")
    print(f"store size: {store_path.stat().st_size / 1e6:.0f} MB; peak RSS {peak_rss_mb():,.0f} MB")


def measure_reader(count: int, files: int, workdir: Path) -> None:
    """The Python reader (`read_flows`, what simulate, recommend and small reviews use) over
    the same files: CPU microseconds per record, duplicates checked as by default."""
    paths = generate(workdir, count, files)
    load_before = os.getloadavg()[0]
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    records = errors = 0
    for item in read_flows([str(p) for p in paths], now_ms=1 << 62):
        if isinstance(item, FlowRecord):
            records += 1
        else:
            errors += 1
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    print(f"read_flows: {records:,} records ({errors:,} diagnostics) in {elapsed:.1f} s wall, "
          f"{cpu:.1f} s CPU = {cpu / max(records, 1) * 1e6:.1f} us CPU per record "
          f"({records / cpu:,.0f} records per CPU-second); load average {load_before:.1f} -> "
          f"{os.getloadavg()[0]:.1f}; peak RSS {peak_rss_mb():,.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, action="append",
                        help="records to import (repeatable); default 1,000,000")
    parser.add_argument("--files", type=int, default=10, help="input files (default 10)")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(),
                                                          "tierguard-bench-flows"))
    parser.add_argument("--clean", action="store_true", help="delete the workdir afterwards")
    parser.add_argument("--prefill", type=int, default=0, metavar="K",
                        help="first make the store look like it holds K times the input "
                             "(measures import and queries against a (K+1)x larger store)")
    parser.add_argument("--read-flows", action="store_true",
                        help="instead of importing, time the Python reader (read_flows)")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    for count in args.records or [1_000_000]:
        if args.read_flows:
            measure_reader(count, args.files, workdir)
        else:
            run(count, args.files, workdir, args.prefill)
    if args.clean:
        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
