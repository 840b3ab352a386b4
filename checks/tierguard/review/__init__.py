"""Change review: what a change does to recorded traffic, per environment, with a merge gate.

Entry points: `review.run.run_review(Options) -> ReviewResult` (I/O: git worktrees, rendering,
flows), `review.gate` (the one place the gate is decided), and one `report_*` formatter per output.
"""
