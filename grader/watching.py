"""``grader watch``: re-check a challenge whenever its solution file's content changes.

File-system events come from watchdog; ``--poll`` (or a failure to start the native observer, as on
some network drives) switches to its polling observer. An event alone grades nothing: watchdog also
reports a file being opened or closed, and grading opens the file, so only a change of content
(its hash against the last one graded) triggers a check. With ``advance``, a passing check moves
the watch on to the challenges ``advance`` returns (``grader watch`` with no id).
"""

from __future__ import annotations

import queue
import time
from pathlib import Path
from typing import Callable

from rich.console import Console

from grader import state
from grader.catalog import Challenge

DEBOUNCE_S = 0.3


def watch_and_check(challenges: list[Challenge], recheck: Callable[[list[Challenge]], bool], *, poll: bool,
                    console: Console, advance: Callable[[list[Challenge]], list[Challenge]] | None = None,
                    stop: Callable[[], bool] = lambda: False) -> None:
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    watched: dict[Path, Challenge] = {}
    graded: dict[Path, str] = {}  # the content hash each file was last graded at
    changed: queue.Queue[Path] = queue.Queue()

    class OnSave(FileSystemEventHandler):
        def on_any_event(self, event):
            for path in (getattr(event, "src_path", None), getattr(event, "dest_path", None)):
                if path and Path(path).resolve() in watched:
                    changed.put(Path(path).resolve())

    def start(observer_type):
        observer = observer_type()
        observer.start()
        return observer

    try:
        observer = start(PollingObserver if poll else Observer)
    except OSError as exc:
        console.print(f"[yellow]file events unavailable ({exc}); polling instead[/yellow]")
        observer = start(PollingObserver)
    scheduled: dict[Path, object] = {}

    def follow(current: list[Challenge]) -> None:
        for watch_ in scheduled.values():
            observer.unschedule(watch_)
        scheduled.clear()
        watched.clear()
        for challenge in current:
            watched[challenge.ensure_solution().resolve()] = challenge
        for folder in {c.folder for c in current}:
            scheduled[folder] = observer.schedule(OnSave(), str(folder), recursive=False)

    def grade(current: list[Challenge]) -> list[Challenge]:
        """Check ``current``; what to watch next (the same, unless it passed and there is an advance)."""
        for challenge in current:
            graded[challenge.solution_path.resolve()] = state.fingerprint(challenge.solution_path)
        passed = recheck(current)
        if passed and advance is not None:
            upcoming = advance(current)
            if upcoming and upcoming != current:
                follow(upcoming)
                return grade(upcoming)
            return upcoming
        return current

    follow(challenges)
    current = grade(challenges)
    try:
        while current and not stop():
            console.print(f"[dim]watching {', '.join(c.id for c in current)}; Ctrl-C to stop[/dim]")
            batch = _next_changes(changed, graded, stop)
            if batch is None:
                break
            current = grade([c for c in current if c.solution_path.resolve() in batch]) or []
            if current and advance is None:
                current = list(watched.values())
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join()


def _next_changes(changed: queue.Queue, graded: dict[Path, str], stop: Callable[[], bool]) -> set[Path] | None:
    """Wait for files whose content differs from what was last graded; None when told to stop."""
    while not stop():
        try:
            first = changed.get(timeout=0.5)
        except queue.Empty:
            continue
        time.sleep(DEBOUNCE_S)  # editors save in several writes; grade once per save
        paths = {first}
        while not changed.empty():
            paths.add(changed.get_nowait())
        edited = {p for p in paths if state.fingerprint(p) != graded.get(p)}
        if edited:
            return edited
    return None
