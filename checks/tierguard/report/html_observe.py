"""HTML: the observe model as one self-contained page (inline CSS, SVG and script; no fetches).

Every name, namespace and label comes from flow logs or the inventory and is untrusted. The
template is rendered with Jinja2 autoescape on, so each such string is escaped in text and
attribute contexts; untrusted data never goes into the script, CSS or an URL. As a second line
of defence a Content-Security-Policy allows only the page's own script, pinned by its hash.
"""

from __future__ import annotations

import base64
import hashlib

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from tierguard import __version__
from tierguard.observe.layout import NODE_H, layout
from tierguard.observe.model import STATUS_ORDER, ObserveModel
from tierguard.observe.render_json import iso

NAME = "html"
TEMPLATE = "observe.html.j2"
SCRIPT = "observe.js.j2"


def environment() -> Environment:
    """Jinja2 with autoescape forced on for every template (the names end in .j2, not .html)."""
    return Environment(loader=PackageLoader("tierguard.observe", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def script_hash(script: str) -> str:
    """The CSP source expression allowing exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} B"


def render(model: ObserveModel) -> str:
    env = environment()
    script = env.get_template(SCRIPT).render()
    placed = layout(model.nodes, model.edges, quiet=[n.key for n in model.gaps.quiet])
    return env.get_template(TEMPLATE).render(
        model=model, layout=placed, statuses=STATUS_ORDER, counts=model.status_counts(),
        script=Markup(script), csp_script=script_hash(script), iso=iso, human_bytes=human_bytes,
        node_h=NODE_H, tool_version=__version__)
