"""``grader report --html``, loaded in a real browser: headless Chromium driven by Playwright
(Debian's ``chromium``; Playwright's own browser download is not reachable everywhere). The page
must load with no console errors and show every challenge, the failing property with its replay,
the interview and the kernel track's scaling plot. Set CVG_REPORT_SCREENSHOT=path to keep the
screenshot (the README's comes from this test)."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import mutants
from grader.catalog import load_catalog, load_challenge

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or importlib.util.find_spec("playwright") is None,
    reason="needs Debian's chromium (apt install chromium) and playwright (pip install playwright); .ci/run installs both",
)


def grader(*args, root: Path, timeout: int = 300):
    env = {**os.environ, "CV_GRADER_ROOT": str(root), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_the_report_loads_in_a_browser_without_errors_and_shows_everything(tmp_path):
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "challenges", root / "challenges", ignore=shutil.ignore_patterns("solution.*", "*.bak*"))
    (root / "reference").symlink_to(ROOT / "reference")
    # A failing check, a kernel benchmark and an interview, as a candidate's day leaves them.
    shutil.copyfile(mutants.file_for(ROOT, load_challenge(ROOT / "challenges" / "box_iou"), "plus_one_pixel"),
                    root / "challenges" / "box_iou" / "solution.py")
    assert grader("check", "box_iou", root=root).returncode == 1
    numba = importlib.util.find_spec("numba") is not None
    if numba:
        shutil.copyfile(ROOT / "reference" / "examples" / "box_iou_numba.py", root / "challenges" / "box_iou_numba" / "solution.py")
        bench = grader("bench", "box_iou_numba", "--size", "100", "--size", "300", root=root)
        assert bench.returncode == 0, bench.stdout + bench.stderr
    assert grader("interview", "nms", "--minutes", "0.05", root=root, timeout=120).returncode == 0
    page_path = tmp_path / "report.html"
    assert grader("report", "--html", str(page_path), root=root).returncode == 0

    from playwright.sync_api import sync_playwright

    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
            page.goto(page_path.as_uri())
            shown = page.eval_on_selector_all("#challenges tr[data-id]", "rows => rows.map(r => r.dataset.id)")
            text = page.inner_text("body")
            box_iou = page.eval_on_selector("#challenges tr[data-id=box_iou]", "row => row.textContent")
            images = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)")
            screenshot = os.environ.get("CVG_REPORT_SCREENSHOT") or str(tmp_path / "report.png")
            page.screenshot(path=screenshot, full_page=False)
        finally:
            browser.close()
    assert problems == [], problems
    assert shown == [c.id for c in load_catalog(ROOT)], "every challenge, in catalog order"
    assert "failed" in box_iou and "matches_reference" in box_iou and "call: box_iou(" in box_iou, box_iou
    assert "replay: grader check box_iou --only matches_reference" in box_iou, box_iou
    assert "Interviews" in text and "not passed in 0:03" in text
    if numba:
        assert "Kernel tracks: scaling" in text and images and all(images), images
