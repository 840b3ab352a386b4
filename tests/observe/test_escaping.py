"""Untrusted names, namespaces and labels are escaped in every observe format."""

from __future__ import annotations

import html
import json
from pathlib import Path

from tierguard.observe import render_json, render_text
from tierguard.report import html_observe

from tests.observe import hostile
from tests.observe.test_build import model_for


def test_model_carries_the_hostile_strings_verbatim(tmp_path: Path) -> None:
    model = model_for(hostile.write(tmp_path))
    assert [(e.src.display, e.dst.display) for e in model.edges] == [
        (f"{hostile.NAMESPACE}/{hostile.IMG}-*", f"{hostile.NAMESPACE}/{hostile.TEMPLATE}"),
        (f"{hostile.NAMESPACE}/{hostile.TEMPLATE}", "pub"),
    ]
    assert [u.reason for u in model.unresolved] == [
        f"no endpoint in the inventory matches pod {hostile.NAMESPACE}/{hostile.ESCAPE}-*"]


def test_html_escapes_every_hostile_string(tmp_path: Path) -> None:
    page = html_observe.render(model_for(hostile.write(tmp_path)))
    assert hostile.NAMESPACE not in page
    assert "<img" not in page
    assert "onerror=alert(2)>" not in page.replace("&gt;", "")  # never as live markup
    assert page.count("<script") == 1  # the page's own script only
    assert page.count("</script>") == 1
    # The escaped forms are what the page shows, in text and in attribute values alike.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert f'data-node="workload:{html.escape(hostile.NAMESPACE, quote=True)}/' \
           .replace("&quot;", "&#34;").replace("&#x27;", "&#39;") in page
    # Rendered as data, never as template source: the braces survive, nothing evaluates them.
    assert "{{ 7*7 }}" in page
    assert "{{ 7*7 }}={{ 7*7 }}" in page  # the label key=value in the node's hover title


def test_html_pins_its_script_with_a_content_security_policy(tmp_path: Path) -> None:
    page = html_observe.render(model_for(hostile.write(tmp_path)))
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    assert f"script-src '{html_observe.script_hash(script)}'" in page
    assert "default-src 'none'" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page  # self-contained: nothing to fetch


def test_json_round_trips_hostile_strings(tmp_path: Path) -> None:
    document = json.loads(render_json.render(model_for(hostile.write(tmp_path))))
    assert document["edges"][0]["source"] == f"workload:{hostile.NAMESPACE}/{hostile.IMG}-*"
    labels = next(n["labels"] for n in document["nodes"] if n["name"] == f"{hostile.IMG}-*")
    assert labels["note"] == hostile.IMG and labels[hostile.TEMPLATE] == hostile.TEMPLATE


def test_text_neutralises_terminal_escapes(tmp_path: Path) -> None:
    text = render_text.render(model_for(hostile.write(tmp_path)))
    assert "\x1b" not in text
    assert f"{hostile.NAMESPACE}/evil\\x1b[2J-*" in text
