"""Staged-policy recommendations learnt from recorded flows, proven against the same flows.

Public API:
- `run_recommend(records, world, options, namespaces, directory) -> Result` (pipeline);
- `Options`, `World`, `Result`, `Output`, `Recommendation`, `Proof`, `Status`;
- `render_policy(recommendation) -> str`, `policy_name(tier, namespace, version, edition)`.
"""

from __future__ import annotations

from tierguard.recommend.model import DEFAULT_MAX_RULES, DEFAULT_TIER, Options, Recommendation
from tierguard.recommend.names import policy_name
from tierguard.recommend.pipeline import Output, Result, World, run_recommend
from tierguard.recommend.render import render_policy
from tierguard.recommend.verify import Proof, Status

__all__ = ["DEFAULT_MAX_RULES", "DEFAULT_TIER", "Options", "Output", "Proof", "Recommendation", "Result",
           "Status", "World", "policy_name", "render_policy", "run_recommend"]
