"""The conformance cluster and a driver for `tierguard simulate` (the public interface only).

The cluster mirrors the upstream Kubernetes netpol e2e layout: namespaces x, y, z (label
`ns=<name>` and `kubernetes.io/metadata.name=<name>`), pods a, b, c in each (label `pod=<name>`),
every pod serving 80 and 81 on TCP, UDP and SCTP under the upstream port names
`serve-<port>-<protocol>`. Pod IPs are `10.<ns>.0.<pod>` so a namespace is exactly one /16.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from tierguard.cli.main import main

NAMESPACES = ("x", "y", "z")
POD_NAMES = ("a", "b", "c")
PROTOCOLS = ("TCP", "UDP", "SCTP")
SERVED_PORTS = (80, 81)
EXTERNAL_IP = "192.0.2.10"


@dataclass(frozen=True, slots=True)
class ContainerPort:
    name: str
    port: int
    protocol: str


@dataclass(frozen=True, slots=True)
class Pod:
    namespace: str
    name: str
    labels: Mapping[str, str]
    ip: str
    ports: tuple[ContainerPort, ...]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Cluster:
    namespaces: tuple[Namespace, ...]
    pods: tuple[Pod, ...]

    def namespace(self, name: str) -> Namespace:
        return next(ns for ns in self.namespaces if ns.name == name)

    def pod_by_ip(self, ip: str) -> Pod | None:
        return next((p for p in self.pods if p.ip == ip), None)


def default_ports() -> tuple[ContainerPort, ...]:
    return tuple(ContainerPort(f"serve-{port}-{proto.lower()}", port, proto)
                 for port in SERVED_PORTS for proto in PROTOCOLS)


def xyz_cluster(extra_pod_labels: Mapping[str, Mapping[str, str]] | None = None,
                extra_ns_labels: Mapping[str, Mapping[str, str]] | None = None) -> Cluster:
    """The 3x3 cluster; extra labels are keyed by `ns/pod` and by namespace name."""
    pods_extra = extra_pod_labels or {}
    ns_extra = extra_ns_labels or {}
    namespaces = tuple(
        Namespace(ns, {"ns": ns, "kubernetes.io/metadata.name": ns, **ns_extra.get(ns, {})})
        for ns in NAMESPACES)
    pods = tuple(
        Pod(ns, pod, {"pod": pod, **pods_extra.get(f"{ns}/{pod}", {})},
            f"10.{i + 1}.0.{j + 1}", default_ports())
        for i, ns in enumerate(NAMESPACES) for j, pod in enumerate(POD_NAMES))
    return Cluster(namespaces, pods)


def inventory_document(cluster: Cluster) -> dict[str, object]:
    """A `kubectl get namespaces,pods -A -o yaml` style List."""
    items: list[dict[str, object]] = []
    for ns in cluster.namespaces:
        items.append({"apiVersion": "v1", "kind": "Namespace",
                      "metadata": {"name": ns.name, "labels": dict(ns.labels)}})
        items.append({"apiVersion": "v1", "kind": "ServiceAccount",
                      "metadata": {"name": "default", "namespace": ns.name}})
    for pod in cluster.pods:
        containers = [{"name": f"c{k}", "image": "agnhost",
                       "ports": [{"name": p.name, "containerPort": p.port, "protocol": p.protocol}]}
                      for k, p in enumerate(pod.ports)]
        items.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod.name, "namespace": pod.namespace, "labels": dict(pod.labels)},
            "spec": {"serviceAccountName": "default", "nodeName": "node-1",
                     "containers": containers or [{"name": "c", "image": "agnhost"}]},
            "status": {"phase": "Running", "podIP": pod.ip, "podIPs": [{"ip": pod.ip}]}})
    return {"apiVersion": "v1", "kind": "List", "items": items}


@dataclass(frozen=True, slots=True)
class Probe:
    """`source`/`dest` are `ns/pod` keys or IP addresses."""

    source: str
    dest: str
    port: int | None
    protocol: str = "TCP"


@dataclass(slots=True)
class Run:
    """One `tierguard simulate` invocation's outcome."""

    exit_code: int
    rows: list[dict[str, object]]
    stderr: str
    probes: list[Probe] = field(default_factory=list)

    def verdicts(self) -> dict[Probe, object]:
        return {probe: row.get("verdict") for probe, row in zip(self.probes, self.rows)}


class Simulator:
    """Writes policies, inventory and probes to a temp dir and calls `tierguard simulate`."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.tmp = tmp_path
        self.capsys = capsys

    def _write_policies(self, policies: Sequence[Mapping[str, object]], directory: Path) -> None:
        directory.mkdir(parents=True)
        for k, policy in enumerate(policies):
            (directory / f"p{k:03d}.yaml").write_text(yaml.safe_dump(dict(policy), sort_keys=False))

    def run(self, policies: Sequence[Mapping[str, object]], cluster: Cluster,
            probes: Sequence[Probe], *flags: str,
            extra_inventory: Sequence[Mapping[str, object]] = ()) -> Run:
        rows, code, err = self.run_raw(policies, cluster, _probe_csv(probes), "probes.csv", *flags,
                                       extra_inventory=extra_inventory)
        assert len(rows) == len(probes), f"{len(rows)} results for {len(probes)} probes:\n{err}"
        return Run(code, rows, err, list(probes))

    def run_raw(self, policies: Sequence[Mapping[str, object]], cluster: Cluster, flows_text: str,
                flows_name: str, *flags: str,
                extra_inventory: Sequence[Mapping[str, object]] = ()
                ) -> tuple[list[dict[str, object]], int, str]:
        base = Path(tempfile.mkdtemp(prefix="run", dir=self.tmp))
        policy_dir = base / "policies"
        if policies:
            self._write_policies(policies, policy_dir)
        else:
            policy_dir.mkdir(parents=True)
            (policy_dir / "empty.yaml").write_text("# no policies\n")
        inventory = base / "inventory.yaml"
        document = inventory_document(cluster)
        document["items"] = [*document["items"], *extra_inventory]  # type: ignore[misc]
        inventory.write_text(yaml.safe_dump(document, sort_keys=False))
        flows = base / flows_name
        flows.write_text(flows_text)
        self.capsys.readouterr()
        code = main(["simulate", "--policies", str(policy_dir), "--inventory", str(inventory),
                     "--flows", str(flows), *flags, "--format", "jsonl"])
        out, err = self.capsys.readouterr()
        return [json.loads(line) for line in out.splitlines() if line.strip()], code, err


def _probe_csv(probes: Iterable[Probe]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["from", "to", "port", "protocol"])
    for probe in probes:
        port = "" if probe.port is None else probe.port
        writer.writerow([probe.source, probe.dest, port, probe.protocol])
    return buffer.getvalue()


def calico_flow_line(cluster: Cluster, probe: Probe, with_ips: bool) -> dict[str, object]:
    """A Calico Enterprise flow-log record (flow-formats (a)) for a pod-to-pod probe."""
    out: dict[str, object] = {"proto": probe.protocol.lower(), "dest_port": probe.port,
                              "reporter": "dst", "action": "allow"}
    for side, spec in (("source", probe.source), ("dest", probe.dest)):
        pod = next(p for p in cluster.pods if p.key == spec)
        out |= {f"{side}_type": "wep", f"{side}_namespace": pod.namespace,
                f"{side}_name": pod.name if with_ips else "-", f"{side}_name_aggr": pod.name,
                f"{side}_ip": pod.ip if with_ips else None}
    return out


def all_pairs(cluster: Cluster, port: int, protocol: str = "TCP") -> list[Probe]:
    """The full pod x pod matrix (81 cells for the xyz cluster), self-traffic included."""
    return [Probe(s.key, d.key, port, protocol) for s in cluster.pods for d in cluster.pods]


Matrix = dict[tuple[str, str], bool]


def matrix_of(run: Run) -> Matrix:
    out: Matrix = {}
    for probe, row in zip(run.probes, run.rows):
        verdict = row.get("verdict")
        assert verdict in ("allow", "deny"), f"{probe}: no verdict, row {row}"
        out[(probe.source, probe.dest)] = verdict == "allow"
    return out


def render_matrix(matrix: Matrix, cluster: Cluster) -> str:
    """The e2e style truth table: rows are sources, columns destinations, '.' allow, 'X' deny."""
    keys = [p.key for p in cluster.pods]
    lines = ["from\\to " + " ".join(f"{k:>4}" for k in keys)]
    for src in keys:
        cells = ["   ." if matrix.get((src, dst)) else "   X" if (src, dst) in matrix else "   ?"
                 for dst in keys]
        lines.append(f"{src:>7} " + " ".join(cells))
    return "\n".join(lines)


def diff_cells(expected: Mapping[tuple[str, str], bool], actual: Mapping[tuple[str, str], bool]
               ) -> list[str]:
    out = []
    for cell in sorted(set(expected) | set(actual)):
        want, got = expected.get(cell), actual.get(cell)
        if want != got:
            show = {True: "allow", False: "deny", None: "missing"}
            out.append(f"  {cell[0]} -> {cell[1]}: expected {show[want]}, simulate says {show[got]}")
    return out


def assert_matrix(expected: Matrix, actual: Matrix, cluster: Cluster, title: str) -> None:
    mismatches = diff_cells(expected, actual)
    if mismatches:
        pytest.fail(f"{title}: {len(mismatches)} of {len(expected)} cells differ\n"
                    + "\n".join(mismatches)
                    + f"\nexpected:\n{render_matrix(expected, cluster)}"
                    + f"\nsimulate:\n{render_matrix(actual, cluster)}", pytrace=False)


def parse_truth_table(text: str) -> Matrix:
    """A hand-written e2e truth table: header of destinations, rows `src cells...` ('.'/'X')."""
    lines = [ln.split() for ln in text.strip().splitlines() if ln.strip()]
    header = lines[0]
    out: Matrix = {}
    for row in lines[1:]:
        src, cells = row[0], row[1:]
        assert len(cells) == len(header), f"row {src} has {len(cells)} cells"
        for dst, cell in zip(header, cells):
            assert cell in (".", "X"), cell
            out[(src, dst)] = cell == "."
    return out
