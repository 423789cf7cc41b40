"""axe-core in the browser tests: ``assert_accessible(page)`` runs the vendored axe-core on
the page as it is now and fails on any serious or critical violation, listing each rule with
the elements it found and what to fix.

Use it after driving a page into the state to check (a dialog open, rows on the board): axe
checks only what is rendered, so a page checked empty says nothing about its rows. The file
is injected through the DevTools protocol (``page.evaluate``), which the pages' Content
Security Policy does not govern, so the pages are checked with their real headers.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_FILE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_VERSION = "4.14.1"
# Also in vendor/README.md: a copy that differs fails here rather than checking something else.
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
# What the bar is: WCAG 2.x A and AA (colour contrast included) and axe's best practices.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
FAILING_IMPACTS = ("serious", "critical")


@cache
def axe_source() -> str:
    """The vendored axe-core, after checking it is the pinned release."""
    data = AXE_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == AXE_SHA256, f"{AXE_FILE} is not axe-core {AXE_VERSION} (sha256 {digest}); see vendor/README.md"
    return data.decode("utf-8")


def axe_run(page: Page, *, include: str | None = None, disable: tuple[str, ...] = ()) -> dict[str, Any]:
    """axe-core's raw results for ``page`` (or the part ``include`` selects)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    options = {"runOnly": {"type": "tag", "values": list(AXE_TAGS)},
               "rules": {rule: {"enabled": False} for rule in disable},
               "resultTypes": ["violations"]}
    result: dict[str, Any] = page.evaluate(
        "([include, options]) => window.axe.run(include ? {include: [include]} : document, options)",
        [include, options])
    assert result["testEngine"]["version"] == AXE_VERSION, result["testEngine"]
    return result


def describe(violations: list[dict[str, Any]]) -> str:
    """The violations as a person reads them: rule, impact, help, then each element and why."""
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    {target}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            if summary:
                lines.append(f"      {summary[:400]}")
    return "\n".join(lines)


def assert_accessible(page: Page, what: str = "", *, include: str | None = None,
                      disable: tuple[str, ...] = ()) -> None:
    """Fail when axe-core finds a serious or critical violation on ``page`` as it is now.

    ``what`` names the state in the failure ("GTR board with rows"); ``include`` limits the
    check to one selector; ``disable`` turns rules off by id (say why at the call site).
    Moderate and minor findings are reported by ``axe_run`` but do not fail: the bar of
    issue 14 is no serious or critical violation.
    """
    result = axe_run(page, include=include, disable=disable)
    failing = [v for v in result["violations"] if v["impact"] in FAILING_IMPACTS]
    assert not failing, (
        f"axe-core {AXE_VERSION} found {len(failing)} serious or critical violation(s) on "
        f"{what or page.url}:\n{describe(failing)}")
