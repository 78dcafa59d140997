"""``grader watch``: a check per change of content (not per file event), moving on after a pass
when following the catalog, and idle while nothing changes."""

import resource
import shutil
import threading
import time
from pathlib import Path

from rich.console import Console

from grader.catalog import load_challenge
from grader.watching import watch_and_check

ROOT = Path(__file__).resolve().parents[1]


def _challenges(tmp_path):
    copies = []
    for challenge_id in ("box_iou", "nms"):
        folder = tmp_path / "challenges" / challenge_id
        folder.mkdir(parents=True)
        for name in ("challenge.toml", "README.md", "stub.py"):
            shutil.copyfile(ROOT / "challenges" / challenge_id / name, folder / name)
        copies.append(load_challenge(folder))
    return copies


def _wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def test_watch_checks_once_per_change_advances_after_a_pass_and_idles(tmp_path):
    first, second = _challenges(tmp_path)
    calls = []
    done = threading.Event()

    def recheck(changed):
        calls.append([c.id for c in changed])
        return all("PASS" in c.solution_path.read_text() for c in changed)

    watcher = threading.Thread(target=watch_and_check, args=([first], recheck), daemon=True, kwargs={
        "poll": False, "console": Console(quiet=True), "advance": lambda current: [second] if current == [first] else [],
        "stop": done.is_set})
    watcher.start()
    try:
        assert _wait_for(lambda: calls == [["box_iou"]]), calls
        # Opening, reading and rewriting the same bytes are file events, not changes: no check.
        text = first.solution_path.read_text()
        first.solution_path.write_text(text)
        with open(first.solution_path) as f:
            f.read()
        time.sleep(1.5)
        assert calls == [["box_iou"]], calls
        # Idle: while nothing changes the watch costs (almost) no CPU.
        before, started = _cpu_s(), time.monotonic()
        time.sleep(3)
        share = (_cpu_s() - before) / (time.monotonic() - started)
        assert share < 0.02, f"watching an unchanged file used {share:.1%} of a CPU"
        # A passing save moves on to the next exercise, which is checked at once.
        first.solution_path.write_text(text + "\n# PASS\n")
        assert _wait_for(lambda: calls == [["box_iou"], ["box_iou"], ["nms"]]), calls
        # The passed exercise is no longer watched; the next one is.
        first.solution_path.write_text(text + "\n# PASS again\n")
        second.solution_path.write_text(second.solution_path.read_text() + "\n# edited\n")
        assert _wait_for(lambda: len(calls) == 4), calls
        time.sleep(1)
        assert calls == [["box_iou"], ["box_iou"], ["nms"], ["nms"]], calls
    finally:
        done.set()
        watcher.join(5)
    assert not watcher.is_alive()
