"""The GitHub job summary ($GITHUB_STEP_SUMMARY): the PR comment's content with a larger budget.

GitHub caps a step summary at 1 MiB, so the same truncating renderer is used with that limit;
the job summary is where the comment's cut rows can be read in full for ordinary changes.
"""

from __future__ import annotations

from tierguard.review import report_markdown
from tierguard.review.model import ReviewResult

STEP_SUMMARY_LIMIT = 1024 * 1024


def render(result: ReviewResult) -> str:
    return report_markdown.render(result, limit=STEP_SUMMARY_LIMIT - 4096,
                                  marker="<!-- tierguard-review job summary -->")
