"""Real rendering: the HTML report loaded in headless Chromium (Debian `chromium`).

Asserts on the DOM Chromium built (after running the page's script under its CSP), not on the
HTML text: the expected node and edge elements exist, the page's own script ran (it sets
`data-ready`), and nothing an injected string could create (script, img, event handler) exists.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tierguard.observe.layout import layout
from tierguard.report import html_observe

from tests.observe import hostile
from tests.observe.test_build import model_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                 "(Debian: apt-get install chromium); real rendering not checked")]


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False)


class _Elements(HTMLParser):
    """Every element of a serialized DOM as (tag, attributes), plus the text content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("chromium")
    model = model_for(hostile.write(directory / "data"))
    page = directory / "observe.html"
    page.write_text(html_observe.render(model), encoding="utf-8")
    result = _chromium(directory / "profile", "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    return page, result.stdout


def test_page_script_ran_under_its_csp(rendered: tuple[Path, str]) -> None:
    dom = _Elements()
    dom.feed(rendered[1])
    body = next(attrs for tag, attrs in dom.elements if tag == "body")
    assert body["data-ready"] == "1"
    # The row counter the script maintains matches the table.
    assert "(2 of 2 edges shown)" in "".join(dom.text).replace("\n", "")


def test_expected_nodes_and_edges_are_elements(tmp_path: Path, rendered: tuple[Path, str]) -> None:
    model = model_for(hostile.write(tmp_path))
    expected = layout(model.nodes, model.edges)
    dom = _Elements()
    dom.feed(rendered[1])
    nodes = [a["data-node"] for t, a in dom.elements if t == "g" and "data-node" in a]
    links = [(a["data-src"], a["data-dst"], a["data-status"])
             for t, a in dom.elements if t == "g" and "data-src" in a]
    assert nodes == [n.node.key.id for n in expected.nodes]
    assert nodes == ["external:external/pub", f"workload:{hostile.NAMESPACE}/{hostile.IMG}-*",
                     f"workload:{hostile.NAMESPACE}/{hostile.TEMPLATE}"]
    assert links == [(k.src.id, k.dst.id, k.status.value) for k in expected.links]
    rows = [a["data-edge"] for t, a in dom.elements if t == "tr" and "data-edge" in a]
    assert rows == [e.id for e in model.edges]


def test_no_injected_markup_exists(rendered: tuple[Path, str]) -> None:
    dom = _Elements()
    dom.feed(rendered[1])
    assert [t for t, _ in dom.elements if t == "script"] == ["script"]  # the page's own
    assert [t for t, _ in dom.elements if t in ("img", "iframe", "object", "embed")] == []
    handlers = [(t, k) for t, a in dom.elements for k in a if k.startswith("on")]
    assert handlers == []
    text = "".join(dom.text)
    assert hostile.NAMESPACE in text  # shown as text, not parsed as markup
    assert f"{hostile.TEMPLATE}={hostile.TEMPLATE}" in text
    assert "alert(1)" not in rendered[1].split("<script>")[-1].split("</script>")[0]


def test_screenshot_renders(rendered: tuple[Path, str], tmp_path: Path) -> None:
    shot = tmp_path / "observe.png"
    result = _chromium(tmp_path / "profile", "--window-size=1400,1000", f"--screenshot={shot}",
                       rendered[0].as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1400, 1000)
    assert len(data) > 20_000  # a blank page compresses to a few KiB
