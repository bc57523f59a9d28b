"""The HTML reference of QEMU 10.0 (and 10.2) in headless Chromium, opened from disk (file://
URL): the target picker, the search over names and descriptions, the list of matches the picked
target lacks with where they exist, the index, the sidebar following a deep link, and an
annotated example and a table as a reader sees them.

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

from qapic.frontend import Schema
from tests.docs.htmltree import HtmlTree
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
    page.check("#names-only")
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
    page.uncheck("#names-only")
    page.select_option("#target", "")
    assert gic.is_visible() and sev.is_visible()

    # A cross-link: a member's type goes to the type's entry.
    page.locator('#def-query-sev a[href="#def-SevInfo"]').first.click()
    assert page.evaluate("location.hash") == "#def-SevInfo"
    assert page.locator("#def-SevInfo").is_visible()

    page.close()
    assert problems == []
    assert requests and all(u.startswith("file://") for u in requests), requests


def _open(browser: BrowserContext, reference: Path, fragment: str = "") -> tuple[Page, list[str]]:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto((reference / "index.html").resolve().as_uri() + fragment)
    page.wait_for_load_state("load")
    return page, problems


@pytest.fixture(scope="module")
def page_10_0(browser: BrowserContext, reference_10_0: Path) -> Iterator[tuple[Page, list[str]]]:
    """One page of QEMU 10.0's reference for the tests below (loading it is the costly part);
    each test starts with :func:`_reset`."""
    page, problems = _open(browser, reference_10_0)
    yield page, problems
    page.close()


def _reset(page: Page) -> None:
    page.fill("#search", "")
    page.uncheck("#names-only")
    page.select_option("#target", "")
    page.evaluate("history.replaceState(null, '', location.pathname); window.scrollTo(0, 0)")


def _visible_names(page: Page) -> set[str]:
    names: list[str] = page.evaluate(
        "Array.from(document.querySelectorAll('section[data-name]'))"
        ".filter(e => e.offsetParent !== null).map(e => e.dataset.name)")
    return set(names)


def test_full_text_search(page_10_0: tuple[Page, list[str]], schema_10_0: Schema,
                          tree_10_0: HtmlTree) -> None:
    """A word of the descriptions finds the entries whose doc comment has it (the schema's
    text, read here), not only those whose name has it; "names only" goes back to names."""
    word = "nanoseconds"
    described = {d.symbol for d in schema_10_0.docs if d.symbol and any(
        word in part.text.lower()
        for part in [d.body, *d.args.values(), *d.features.values(), *d.sections])}
    assert len(described) >= 5
    assert not any(word in name.lower() for name in described)
    page, problems = page_10_0
    _reset(page)
    page.fill("#search", word)
    shown = _visible_names(page)
    assert described <= shown
    # Nothing else: every entry shown has the word in its rendered text.
    assert all(word in tree_10_0.by_id[f"def-{name}"].text.lower() for name in shown)
    assert page.locator("#status").inner_text() == f"{len(shown)} matches (0 by name)"
    toc = page.locator('#toc li.toc-item:visible')
    assert toc.count() == len(shown)
    assert page.locator("#qapi-index").is_hidden()
    # The word is marked where it occurs in the entries shown.
    marked: list[str] = page.evaluate(
        "Array.from(CSS.highlights.get('search') || []).map(r => r.toString().toLowerCase())")
    assert len(marked) >= len(described) and set(marked) == {word}
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "05-search-full-text.png")

    # Several words: every one must be there (in any order).
    page.fill("#search", "latency histogram boundaries")
    both = _visible_names(page)
    assert "block-latency-histogram-set" in both and both < shown | both
    page.check("#names-only")
    page.fill("#search", word)
    assert _visible_names(page) == set()
    assert page.locator("#status").inner_text() == "0 matches"
    page.uncheck("#names-only")
    assert _visible_names(page) == shown
    assert problems == []


def test_search_says_where_a_hidden_item_exists(page_10_0: tuple[Page, list[str]]) -> None:
    """With a target picked, a search for an item that target lacks says where it exists
    (query-gic-capabilities: 'if': 'TARGET_ARM', the targets aarch64 and arm)."""
    page, problems = page_10_0
    _reset(page)
    page.select_option("#target", "x86_64")
    page.fill("#search", "query-gic-capabilities")
    assert _visible_names(page) == set()
    assert page.locator("#status").inner_text() == "0 matches, showing what x86_64 has"
    elsewhere = page.locator("#elsewhere")
    assert elsewhere.is_visible()
    text = elsewhere.inner_text()
    assert "not on x86_64 but on other targets" in text
    assert "query-gic-capabilities" in text and "only on aarch64 and arm" in text
    _shot(page, "06-search-elsewhere-x86_64.png")
    # Its link shows every target again and goes there.
    elsewhere.locator("a", has_text="query-gic-capabilities").click()
    assert page.locator("#target").input_value() == ""
    assert page.evaluate("location.hash") == "#def-query-gic-capabilities"
    assert page.locator("#def-query-gic-capabilities").is_visible()
    # A target that has it: no such note.
    page.select_option("#target", "aarch64")
    page.fill("#search", "query-gic-capabilities")
    assert elsewhere.is_hidden()
    assert _visible_names(page) == {"query-gic-capabilities"}
    assert problems == []


def _in_sidebar_view(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    side = page.locator("#sidebar").bounding_box()
    controls = page.locator("#sidebar .controls").bounding_box()
    assert box is not None and side is not None and controls is not None
    return bool(controls["y"] + controls["height"] <= box["y"] and
                box["y"] + box["height"] <= side["y"] + side["height"])


def test_sidebar_follows_a_deep_link(browser: BrowserContext, reference_10_0: Path) -> None:
    # An entry far down the list (the sidebar must scroll to show it).
    page, problems = _open(browser, reference_10_0, "#def-query-sev")
    item = '#toc li[data-name="query-sev"]'
    assert "current" in (page.locator(item).get_attribute("class") or "")
    assert _in_sidebar_view(page, item)
    assert page.locator("#sidebar").evaluate("e => e.scrollTop") > 1000
    box = page.locator("#def-query-sev").bounding_box()
    assert box is not None and 0 <= box["y"] < 100
    _shot(page, "07-deep-link-query-sev.png")
    # A member's anchor marks its definition; only one entry is current.
    page.evaluate("location.hash = '#def-BlockdevOptions.driver'")
    page.wait_for_function("document.querySelector('#toc li.current') !== null && "
                           "document.querySelector('#toc li.current').dataset.name === "
                           "'BlockdevOptions'")
    assert page.locator("#toc li.current").count() == 1
    assert _in_sidebar_view(page, '#toc li[data-name="BlockdevOptions"]')
    # A deep link to what the picked target hides shows all targets again.
    page.select_option("#target", "x86_64")
    page.evaluate("location.hash = '#def-query-gic-capabilities'")
    page.wait_for_function("document.querySelector('#target').value === ''")
    assert page.locator("#def-query-gic-capabilities").is_visible()
    assert _in_sidebar_view(page, '#toc li[data-name="query-gic-capabilities"]')
    # ... and so does a link to what a search hides (the index hides while searching).
    page.fill("#search", "query-sev")
    page.evaluate("location.hash = '#qapi-index'")
    page.wait_for_function("document.querySelector('#search').value === ''")
    assert page.locator("#qapi-index").is_visible()
    assert page.locator("#toc li.current").inner_text() == "Index"
    page.close()
    assert problems == []


def test_index(page_10_0: tuple[Page, list[str]], schema_10_0: Schema) -> None:
    page, problems = page_10_0
    _reset(page)
    symbols = sorted((d.symbol for d in schema_10_0.docs if d.symbol), key=str.lower)
    # The introduction's "QMP Index" (`qapi-qmp-index` in the schema) leads there.
    page.locator("main a.index-ref").first.click()
    assert page.evaluate("location.hash") == "#qapi-index"
    index = page.locator("#qapi-index")
    assert index.is_visible()
    letters = page.locator("#qapi-index .letters a")
    assert letters.count() == len({s[0].upper() for s in symbols})
    page.locator('#qapi-index .letters a[href="#index-Q"]').click()
    first_q = [s for s in symbols if s[0].upper() == "Q"]
    names = page.locator("#index-Q + ul.index-list li code").all_inner_texts()
    assert names == first_q
    _shot(page, "08-index.png")
    # A target hides what it lacks in the index too.
    gic = page.locator('#index-Q + ul.index-list a[href="#def-query-gic-capabilities"]')
    page.select_option("#target", "x86_64")
    assert gic.is_hidden()
    page.select_option("#target", "aarch64")
    gic.click()
    assert page.evaluate("location.hash") == "#def-query-gic-capabilities"
    assert problems == []


def test_annotated_example_and_table(browser: BrowserContext, reference_10_2: Path) -> None:
    """QEMU 10.2: an annotated example (prose, a list, QMP exchanges) and a table, as shown."""
    page, problems = _open(browser, reference_10_2, "#def-block-latency-histogram-set")
    example = page.locator("#def-block-latency-histogram-set .example.annotated").nth(2)
    assert example.locator("p", has_text="Set new histograms with the following").is_visible()
    assert example.locator("li").count() == 2
    assert example.locator("pre.qmp .dir").count() == 2
    example.scroll_into_view_if_needed()
    _shot(page, "09-annotated-example.png")
    # Scrolled away from the deep link's entry, the sidebar follows the entry at the top.
    page.evaluate("document.getElementById('def-NetdevDgramOptions').scrollIntoView()")
    page.wait_for_function("document.querySelector('#toc li.current').dataset.name === "
                           "'NetdevDgramOptions'")
    assert _in_sidebar_view(page, "#toc li.current")
    table = page.locator("#def-NetdevDgramOptions table")
    table.scroll_into_view_if_needed()
    assert table.locator("th").all_inner_texts() == ["remote", "local", "okay?"]
    assert table.locator("tbody tr").count() == 7
    _shot(page, "10-table.png")
    page.close()
    assert problems == []
