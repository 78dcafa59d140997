"""How results look in a terminal: one line per challenge, details for what failed."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader.results import ChallengeResult, RunResult

STYLE = {
    "passed": ("✔ passed", "green"),
    "failed": ("✘ failed", "red"),
    "not_started": ("· not started", "yellow"),
    "unchecked": ("? edited, not checked", "cyan"),
    "error": ("✘ error", "red"),
    "internal": ("✘ grader bug", "magenta"),
    "timeout": ("⏱ timeout", "red"),
    "crashed": ("✘ crashed", "red"),
    "skipped": ("- skipped", "dim"),
    "forbidden": ("⊘ forbidden", "magenta"),
}
MAX_FAILURES_SHOWN = 3


def status_text(status: str) -> str:
    label, color = STYLE.get(status, (status, "white"))
    return f"[{color}]{label}[/{color}]"


def print_challenge(console: Console, result: ChallengeResult, verbose: bool = False) -> None:
    passed = sum(t.status == "passed" for t in result.tests)
    counts = f"{passed}/{len(result.tests)} properties" if result.tests else ""
    console.print(
        f"{status_text(result.status)}  [bold]{result.id}[/bold] [dim]({result.track}) {counts} {result.duration_s:.1f}s[/dim]"
    )
    # A verdict that ended the run (a crash, say) is also its property's message: say it once.
    if result.message and result.message not in {t.message for t in result.tests}:
        console.print(f"    {escape(result.message)}")
    if result.status == "not_started":
        console.print(f"    [dim]edit {escape(result.solution)} — `grader show {result.id}` for the statement[/dim]")
        return
    shown = mentioned = 0
    same_call = _failing_on_the_same_call(result)
    for test in result.tests:
        if test.name == "speed" and test.status == "passed":
            console.print(f"    [green]⚡[/green] speed: {escape(test.message)}")
            continue
        if test.status in ("passed", "skipped", "not_started") and not verbose:
            continue
        if test.status == "passed":
            console.print(f"    [green]✔[/green] {test.name} [dim]— {escape(test.description)}[/dim]")
            continue
        if (shown >= MAX_FAILURES_SHOWN or test.name not in same_call) and not verbose:
            continue
        shown += 1
        console.print(f"    [red]✘ {test.name}[/red] — {escape(test.description)}")
        console.print(f"      {escape(test.message)}")
        # Inputs and replay commands are printed whole, never wrapped, so they paste back as they are.
        for line in test.example[-8:]:
            console.print(f"      [dim]{escape(line)}[/dim]", soft_wrap=True)
        others = same_call.get(test.name, [])
        if others and not verbose:
            mentioned += len(others)
            console.print(f"      [yellow]fix this first: {len(others)} other propert{'y fails' if len(others) == 1 else 'ies fail'} "
                          f"on the same call ({', '.join(others)})[/yellow]")
        command = result.replay.get(test.name, "")
        if command:
            console.print(f"      [cyan]replay:[/cyan] {escape(command)}", soft_wrap=True)
    hidden = len(result.failures) - shown - mentioned - sum(t.status == "not_started" for t in result.tests)
    if hidden > 0 and not verbose:
        console.print(f"    [dim]... and {hidden} more failing properties (--verbose shows all)[/dim]")
    not_started = [t for t in result.tests if t.status == "not_started"]
    if not_started and result.status != "not_started":
        names = sorted({t.message.split(" is not implemented")[0] for t in not_started})
        console.print(f"    [yellow]not implemented yet:[/yellow] {', '.join(names)}")
    if result.output.strip() and result.status != "passed":
        console.print("    [dim]your code printed (last lines):[/dim]")
        for line in result.output.strip().splitlines()[-10:]:
            console.print(f"    [dim]│ {escape(line)}[/dim]")


def _failing_on_the_same_call(result: ChallengeResult) -> dict[str, list[str]]:
    """The failures worth showing, each with the later failing properties whose counterexample is
    the very same call: one contract defect (a wrong shape, an in-place write) fails every property
    on the first input, and listing each would hide the next distinct mistake."""
    firsts: dict[str, list[str]] = {}
    by_call: dict[str, str] = {}
    for test in result.failures:
        if test.status == "not_started":
            continue
        call = test.example[-1] if test.example else None
        if call is not None and call in by_call:
            firsts[by_call[call]].append(test.name)
            continue
        firsts[test.name] = []
        if call is not None:
            by_call[call] = test.name
    return firsts


def print_summary(console: Console, run: RunResult) -> None:
    total = len(run.challenges)
    passing = sum(c.status == "passed" for c in run.challenges)
    skipped = sum(c.status == "skipped" for c in run.challenges)
    line = f"{passing} of {total} passing"
    if skipped:
        line += f", {skipped} skipped"
    line += f" · profile {run.profile}" + (f" · seed {run.seed}" if run.seed is not None else "")
    if not run.official:
        line += " · [magenta]unofficial[/magenta]"
    console.print(f"\n[bold]{line}[/bold]")
    for note in run.notes:
        console.print(f"[magenta]{escape(note)}[/magenta]")


def catalog_table(rows: list[tuple], summary: str, width: int) -> Table:
    """The catalog; the title column only where the terminal is wide enough to keep rows on one line."""
    from rich import box

    with_title = width >= 120
    table = Table(title="cv-grader challenges", caption=summary, box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("id", "status", "track", "level", "area"):
        table.add_column(column, no_wrap=True)
    if with_title:
        table.add_column("title")
    for challenge, status, reason in rows:
        text = status_text(status) + (f" [dim]({escape(reason)})[/dim]" if reason else "")
        cells = [challenge.id, text, challenge.track, challenge.difficulty, challenge.area]
        table.add_row(*cells, *([challenge.title] if with_title else []))
    return table


def print_progress(console: Console, rows: list, upcoming, interviews: list = ()) -> None:
    """``grader`` with no arguments: the overall bar, the tallies by area and by track, the last
    interviews, the next exercise."""
    from rich import box

    from grader import progress

    solved = sum(r.kind == progress.SOLVED for r in rows)
    runnable = sum(r.kind != progress.CANNOT_RUN for r in rows)
    console.print(f"[bold]cv-grader[/bold]  {progress.bar(solved, runnable)}  {solved} of {runnable} solved"
                  + (f" [dim]({len(rows) - runnable} cannot run on this machine)[/dim]" if runnable < len(rows) else ""))
    kinds = (progress.SOLVED, progress.ATTEMPTED, progress.NOT_STARTED)
    for title, key in (("by area", lambda c: c.area), ("by track", lambda c: c.track)):
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
        table.add_column(title.split()[-1], no_wrap=True)
        for kind in kinds:
            table.add_column(kind, justify="right")
        table.add_column("", no_wrap=True)
        for group, counts in progress.tally(rows, key).items():
            total = sum(counts[k] for k in kinds)
            table.add_row(group, *(str(counts[k]) for k in kinds), progress.bar(counts[progress.SOLVED], total, 12))
        console.print(table)
    if interviews:
        table = Table(title="interviews", box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
        for column in ("when", "exercise", "result", "checks", "failed on the way"):
            table.add_column(column)
        for i in interviews:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(i.started))
            table.add_row(when, i.challenge, i.outcome(), str(i.checks), ", ".join(i.failed_properties) or "—")
        console.print(table)
    if upcoming is None:
        console.print("[green]Every exercise that can run here is solved.[/green]")
        return
    console.print(f"[bold]Next:[/bold] {upcoming.id} — {escape(upcoming.title)} ({upcoming.track}, {upcoming.difficulty})")
    for command, what in ((f"grader show {upcoming.id}", "the statement"),
                          ("grader watch", "check on every save, and move on when it passes")):
        console.print(f"  {command:<30}{what}")
