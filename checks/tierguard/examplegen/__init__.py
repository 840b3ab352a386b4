"""Deterministic generator of the bundled example's recorded data.

From `inventory/topology.yaml` and a seed it writes, per environment, a Kubernetes `List` snapshot
(`inventory/<env>/cluster.yaml`) and days of Calico Enterprise flow logs (`flows/<env>/*.jsonl.gz`),
including realistic noise: DNS, kubelet probes, Prometheus scrapes, a nightly CronJob, a mid-week
rollout that changes pod-name hashes, and attempts that policy denies.

Run it with `python -m tierguard.examplegen --help`. Same topology + same seed = same bytes.
"""
