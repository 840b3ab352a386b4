"""JUnit XML for the connectivity tests: one test suite per environment, one case per test, plus a
`tierguard.gate` suite with one case per environment whose failure lists the gate reasons.

CI systems (GitHub test reporters, GitLab, Jenkins) show these natively. Untrusted text goes
through `escape.xml_text`; ElementTree escapes markup characters itself.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tierguard.review.escape import xml_text
from tierguard.review.model import ReviewResult


def render(result: ReviewResult) -> str:
    suites = ET.Element("testsuites", name="tierguard connectivity tests")
    total = failures = 0
    for env in result.environments:
        env_failures = sum(1 for t in env.tests if not t.passed)
        suite = ET.SubElement(suites, "testsuite", name=xml_text(f"connectivity.{env.name}"),
                              tests=str(len(env.tests)), failures=str(env_failures), errors="0",
                              skipped="0")
        total += len(env.tests)
        failures += env_failures
        for test in env.tests:
            location = f"{test.span.file}:{test.span.line}" if test.span else ""
            case = ET.SubElement(suite, "testcase", name=xml_text(test.name),
                                 classname=xml_text(f"connectivity.{env.name}"),
                                 file=xml_text(test.span.file if test.span else ""),
                                 line=str(test.span.line if test.span else 0))
            description = (f"{test.source} -> {test.destination} {test.port}/{test.protocol}: "
                           f"expect {test.expect.value}, got {test.actual.value}")
            if test.passed:
                ET.SubElement(case, "system-out").text = xml_text(f"{description}. {test.explanation}")
            else:
                failure = ET.SubElement(case, "failure", type="connectivity",
                                        message=xml_text(description))
                failure.text = xml_text(f"{description}\n{test.explanation}\n{location}")
    # The gate as one more suite, so every gate reason is in this output too.
    gate = ET.SubElement(suites, "testsuite", name="tierguard.gate", tests=str(len(result.environments)),
                         failures=str(sum(1 for e in result.environments if not e.gate.passed)),
                         errors="0", skipped="0")
    for env in result.environments:
        case = ET.SubElement(gate, "testcase", name=xml_text(f"gate {env.name}"), classname="tierguard.gate")
        if not env.gate.passed:
            failure = ET.SubElement(case, "failure", type="gate",
                                    message=xml_text(f"{len(env.gate.reasons)} gate reasons"))
            failure.text = xml_text("\n".join(f"{r.kind.value}: {r.message}" for r in env.gate.reasons))
    total += len(result.environments)
    failures += sum(1 for e in result.environments if not e.gate.passed)
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
