"""The HTML reference of QEMU 10.0 in headless Chromium, opened from disk (file:// URL).

Chromium is Debian's ``chromium`` package, driven by Playwright for Python (its own browser
downloads are never used).  When the browser is missing, the session fixture installs it with
apt-get (as root, as CI runs); when that is impossible the test fails and says why: it never
skips.  Screenshots of each state are left in ``artifacts/docs/`` at the repository root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support import REPO

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

ARTIFACTS = REPO / "artifacts" / "docs"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's Chromium, installed with apt-get if missing."""
    path = _chromium()
    if path is not None:
        return path
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail("Chromium is not installed and cannot be installed here (needs root and "
                    "apt-get): run 'apt-get install -y chromium' (or scripts/setup --test)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]):
        done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=1200, check=False)
        if done.returncode != 0:
            pytest.fail(f"installing Chromium failed: {' '.join(cmd)} exited "
                        f"{done.returncode}:\n{done.stdout[-2000:]}")
    path = _chromium()
    if path is None:
        pytest.fail("apt-get installed 'chromium' but no chromium executable was found")
    return path


@pytest.fixture(scope="session")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is not installed: pip install playwright "
                    "(a test dependency; never run 'playwright install', Debian's chromium "
                    "is used)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900})
        try:
            yield context
        finally:
            context.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_reference_in_chromium(browser: BrowserContext, reference_10_0: Path) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    url = (reference_10_0 / "index.html").resolve().as_uri()
    page.goto(url)
    page.wait_for_load_state("load")
    sev = page.locator("#def-query-sev")
    gic = page.locator("#def-query-gic-capabilities")
    toc_sev = page.locator('#toc li[data-name="query-sev"]')
    toc_gic = page.locator('#toc li[data-name="query-gic-capabilities"]')
    assert sev.is_visible() and gic.is_visible()
    assert page.locator("#target option").count() == 30       # "all targets" + 29 targets
    _shot(page, "01-all-targets.png")

    page.select_option("#target", "x86_64")
    assert sev.is_visible() and toc_sev.is_visible()
    assert not gic.is_visible() and not toc_gic.is_visible()
    assert page.locator("#status").inner_text() == "showing what x86_64 has"
    sev.scroll_into_view_if_needed()
    _shot(page, "02-target-x86_64.png")

    page.select_option("#target", "aarch64")
    assert gic.is_visible() and toc_gic.is_visible()
    assert not sev.is_visible() and not toc_sev.is_visible()
    gic.scroll_into_view_if_needed()
    _shot(page, "03-target-aarch64.png")

    # Everywhere-items stay; a conditional member of an unconditional type hides.
    assert page.locator("#def-query-status").is_visible()

    page.select_option("#target", "")
    page.fill("#search", "query-sev")
    assert sev.is_visible() and toc_sev.is_visible()
    assert page.locator("#def-query-sev-capabilities").is_visible()
    assert not page.locator("#def-query-status").is_visible()
    assert not page.locator('#toc li[data-name="query-status"]').is_visible()
    assert not gic.is_visible()
    status = page.locator("#status").inner_text()
    shown = page.locator("section.def:visible").count()
    assert status == f"{shown} matches" and 2 <= shown <= 6
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "04-search-query-sev.png")

    # Search and target together: aarch64 has no query-sev*.
    page.select_option("#target", "aarch64")
    assert page.locator("section.def:visible").count() == 0
    page.fill("#search", "")
    page.select_option("#target", "")
    assert gic.is_visible() and sev.is_visible()

    # A cross-link: a member's type goes to the type's entry.
    page.locator('#def-query-sev a[href="#def-SevInfo"]').first.click()
    assert page.evaluate("location.hash") == "#def-SevInfo"
    assert page.locator("#def-SevInfo").is_visible()

    page.close()
    assert problems == []
    assert requests and all(u.startswith("file://") for u in requests), requests
