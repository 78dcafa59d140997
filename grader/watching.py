"""``grader watch``: re-check a challenge whenever its solution file is saved.

File-system events come from watchdog; ``--poll`` (or a failure to start the native observer, as on
some network drives) switches to its polling observer.
"""

from __future__ import annotations

import queue
import time
from pathlib import Path
from typing import Callable

from rich.console import Console

from grader.catalog import Challenge

DEBOUNCE_S = 0.3


def watch_and_check(challenges: list[Challenge], recheck: Callable[[list[Challenge]], None], *, poll: bool,
                    console: Console) -> None:
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    by_file = {challenge.ensure_solution().resolve(): challenge for challenge in challenges}
    changed: queue.Queue[Challenge] = queue.Queue()

    class OnSave(FileSystemEventHandler):
        def on_any_event(self, event):
            for path in (getattr(event, "src_path", None), getattr(event, "dest_path", None)):
                if path and Path(path).resolve() in by_file:
                    changed.put(by_file[Path(path).resolve()])

    def start(observer_type):
        observer = observer_type()
        for folder in {c.folder for c in challenges}:
            observer.schedule(OnSave(), str(folder), recursive=False)
        observer.start()
        return observer

    try:
        observer = start(PollingObserver if poll else Observer)
    except OSError as exc:
        console.print(f"[yellow]file events unavailable ({exc}); polling instead[/yellow]")
        observer = start(PollingObserver)
    recheck(challenges)
    console.print(f"[dim]watching {len(by_file)} solution file(s); Ctrl-C to stop[/dim]")
    try:
        while True:
            first = changed.get()
            time.sleep(DEBOUNCE_S)  # editors save in several writes; grade once per save
            batch = {first.id: first}
            while not changed.empty():
                item = changed.get_nowait()
                batch[item.id] = item
            recheck([c for c in challenges if c.id in batch])
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join()
