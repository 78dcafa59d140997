"""The ``grader`` command line."""

from __future__ import annotations

import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape

from grader import session, state
from grader.availability import skip_reason
from grader.catalog import AREAS, TRACKS, CatalogError, Challenge, find_root, load_catalog, select
from grader.exports import CI_FILES
from grader.profiles import PROFILES
from grader.reporting import catalog_table, print_challenge, print_summary
from grader.results import ChallengeResult, RunResult

app = typer.Typer(
    add_completion=False,
    help="Grade computer-vision interview exercises with property-based tests.",
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
USAGE_ERROR = 2


def _fail_usage(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(USAGE_ERROR)


def _catalog() -> tuple[Path, list[Challenge]]:
    try:
        root = find_root()
        return root, load_catalog(root)
    except CatalogError as exc:
        raise _fail_usage(str(exc)) from None


def _one(challenge_id: str) -> tuple[Path, Challenge]:
    root, catalog = _catalog()
    return root, _select(catalog, [challenge_id])[0]


def _select(catalog: list[Challenge], ids: Optional[list[str]]) -> list[Challenge]:
    try:
        return select(catalog, ids)
    except CatalogError as exc:
        raise _fail_usage(str(exc)) from None


def _solution_for(challenge: Challenge, solution: Optional[Path], many: bool) -> Path:
    try:
        return session.solution_for(challenge, solution, many)
    except session.UsageError as exc:
        raise _fail_usage(str(exc)) from None


def run_checks(root: Path, challenges: list[Challenge], *, verbose: bool = False, quiet: bool = False,
               official: bool = False, **options) -> RunResult:
    """Grade through ``grader.session``, printing each challenge as it finishes."""
    from contextlib import nullcontext

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # A live bar for runs of several challenges in a terminal (the whole catalog, builds, thorough
    # profiles take minutes); results still print one by one above it.
    live = len(challenges) > 1 and console.is_terminal and not quiet
    bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=console, transient=True) if live else None
    task = bar.add_task("grading", total=len(challenges)) if bar else None

    def show(result: ChallengeResult) -> None:
        if not quiet:
            print_challenge(console, result, verbose=verbose)
        if bar:
            bar.advance(task)

    try:
        grade = session.official_run if official else session.run
        with bar or nullcontext():
            return grade(root, challenges, on_result=show, **options)
    except session.UsageError as exc:
        raise _fail_usage(str(exc)) from None


@app.callback(invoke_without_command=True)
def overview(ctx: typer.Context) -> None:
    """Grade computer-vision interview exercises with property-based tests. With no command: your
    progress, by area and track, and the next exercise."""
    if ctx.invoked_subcommand is not None:
        return
    from grader import progress
    from grader.reporting import print_progress

    from grader import interview

    root, catalog = _catalog()
    rows = progress.standings(root, catalog)
    print_progress(console, rows, progress.next_exercise(rows), interview.past(root)[-5:])
    console.print("[dim]grader --help lists every command[/dim]")


@app.command("list")
def list_challenges() -> None:
    """Every challenge with its status, track, difficulty and area."""
    root, catalog = _catalog()
    known = state.load(root)
    rows = []
    for challenge in catalog:
        reason = skip_reason(challenge.track)
        status = "skipped" if reason else state.known_status(root, challenge, known)
        rows.append((challenge, status, reason or ""))
    passing = sum(status == "passed" for _, status, _ in rows)
    console.print(catalog_table(rows, f"{passing} of {len(rows)} passing", console.width))


# What --ci (official grading) may search with: quick finds too little to grade on.
OFFICIAL_PROFILES = ("ci", "thorough")


@app.command()
def check(
    ids: List[str] = typer.Argument(None, help="Challenge ids (all when none given)."),
    solution: Optional[Path] = typer.Option(None, "--solution", help="Grade this file (one challenge) or folder instead."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write machine-readable results here."),
    junit_path: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML here."),
    gradescope_path: Optional[Path] = typer.Option(None, "--gradescope", help="Write a Gradescope results.json here."),
    badge_path: Optional[Path] = typer.Option(None, "--badge", help="Write a shields.io endpoint badge JSON here."),
    summary_path: Optional[Path] = typer.Option(None, "--summary", help="Append a Markdown summary here ($GITHUB_STEP_SUMMARY)."),
    profile: Optional[str] = typer.Option(None, "--profile", help=f"One of {', '.join(PROFILES)} (default quick)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Hypothesis seed; a failing run prints the one to replay."),
    only: List[str] = typer.Option(None, "--only", help="Run only this property (repeatable)."),
    track: List[str] = typer.Option(None, "--track", help="Only challenges of this track (repeatable)."),
    ci: bool = typer.Option(False, "--ci", help="Official grading: profile ci (or --profile thorough), a fresh OS seed, "
                            "every results file in --results-dir."),
    results_dir: Path = typer.Option(Path("results"), "--results-dir", help="Where --ci writes its results files."),
    notes: List[str] = typer.Option(None, "--note", hidden=True, help="A line for the summary (used by grade-fork)."),
    graded_upstream: Optional[str] = typer.Option(None, "--graded-upstream", hidden=True, help="grade-fork: the upstream graded with."),
    graded_ref: Optional[str] = typer.Option(None, "--graded-ref", hidden=True, help="grade-fork: the ref asked for."),
    graded_commit: Optional[str] = typer.Option(None, "--graded-commit", hidden=True, help="grade-fork: the commit the ref resolved to."),
    gradescope_hide_replay: bool = typer.Option(False, "--gradescope-hide-replay", hidden=True,
                                                help="gradescope-bundle: replays and seed only after grades are published."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show every property and every failure."),
    exitfirst: bool = typer.Option(False, "--exitfirst", "-x", help="Stop each challenge at its first failing property."),
    jobs: int = typer.Option(len(os.sched_getaffinity(0)), "--jobs", "-j", help="Challenges graded at once (timed ones run alone)."),
) -> None:
    """Run the property suites of the named challenges."""
    from grader import exports

    if ci:
        if exitfirst:
            raise _fail_usage("--ci grades every property, so a result lists every failure: drop --exitfirst")
        if profile not in OFFICIAL_PROFILES + (None,):
            raise _fail_usage(f"--ci grades with the ci profile (or thorough, a longer search), not {profile!r}")
        profile = profile or "ci"
        if seed is None:
            # Drawn here and handed to the worker in its job, never through a file or the environment.
            seed = secrets.randbelow(2**31)
        json_path = json_path or results_dir / CI_FILES["json"]
        junit_path = junit_path or results_dir / CI_FILES["junit"]
        gradescope_path = gradescope_path or results_dir / CI_FILES["gradescope"]
        badge_path = badge_path or results_dir / CI_FILES["badge"]
        summary_path = summary_path or results_dir / CI_FILES["summary"]
        warn_if_not_official()
    profile = profile or "quick"
    if profile not in PROFILES:
        raise _fail_usage(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    unknown_tracks = sorted(set(track or ()) - set(TRACKS))
    if unknown_tracks:
        raise _fail_usage(f"unknown track(s) {', '.join(unknown_tracks)}; expected one of {', '.join(TRACKS)}")
    if jobs < 1:
        raise _fail_usage(f"--jobs must be at least 1, got {jobs}")
    root, catalog = _catalog()
    chosen = _select(catalog, ids)
    if track:
        chosen = [c for c in chosen if c.track in track]
        if not chosen:
            console.print(f"no selected challenge is on track {', '.join(track)}")
    if solution is not None and solution.is_dir() and not ids:
        # A folder of solutions with no ids named: grade the challenges it has a file for.
        present = [c for c in chosen if session.has_solution_in(c, solution)]
        if not present:
            raise _fail_usage(f"{solution} holds no solution file for any challenge (<id>/solution.<ext> or <id>.<ext>)")
        if len(present) < len(chosen):
            console.print(f"[dim]{solution}: grading the {len(present)} challenges it has a file for[/dim]")
        chosen = present
    if only:
        try:
            unknown = session.unknown_properties(root, chosen, only)
        except session.UsageError as exc:
            raise _fail_usage(str(exc)) from None
        if unknown:
            raise _fail_usage(unknown)
    if seed is None and not PROFILES[profile]["derandomize"]:
        seed = random.SystemRandom().randrange(2**31)
    started = time.monotonic()
    run = run_checks(root, chosen, solution=solution, profile=profile, seed=seed, only=only, verbose=verbose, jobs=jobs,
                     exitfirst=exitfirst, official=True)
    elapsed = time.monotonic() - started
    if graded_commit:
        run.upstream = {"repository": graded_upstream or "", "ref": graded_ref or "", "commit": graded_commit}
    run.notes += list(notes or ())
    writes_results = any((json_path, junit_path, gradescope_path, badge_path, summary_path))
    if writes_results:
        shown = ", ".join(f"{name} {version or 'not installed'}" for name, version in run.versions.items())
        run.notes.append(exports.SEED_NOTE.format(seed=run.seed) + shown if run.seed is not None else f"graded with {shown}")
    print_summary(console, run)
    if json_path:
        run.write_json(json_path)
    if junit_path:
        run.write_junit(junit_path)
    if gradescope_path:
        exports.write_gradescope(run, gradescope_path, hide_replay=gradescope_hide_replay, execution_time=elapsed)
    if badge_path:
        exports.write_badge(run, badge_path)
    if summary_path:
        exports.append_summary(run, summary_path)
    if ci:
        console.print(f"[dim]results in {results_dir}/: {', '.join(CI_FILES.values())}[/dim]")
    raise typer.Exit(0 if run.passed else 1)


def warn_if_not_official() -> None:
    """Say before grading that this machine cannot confine a solution, so no grade here is official."""
    from grader import sandbox

    probe = sandbox.probe()
    if not probe.official:
        console.print(f"[yellow]warning:[/yellow] this machine cannot give an official grade: {probe.reason}. "
                      "Official grades come from `grader check --ci` or `grader grade-fork` on Linux with Landlock.")


@app.command("manifest")
def manifest_command(
    write_it: bool = typer.Option(False, "--write", help="Record the current files in grader/manifest.json (maintainers)."),
) -> None:
    """For maintainers: record (--write) or verify the hashes of the grader's own files."""
    from grader import manifest

    root, _ = _catalog()
    if write_it:
        paths = [*manifest.FOLDERS, *manifest.ROOT_FILES, ":(exclude,glob)challenges/*/solution.*",
                 ":(exclude,glob)challenges/*/README.md"]
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=root, capture_output=True, text=True).stdout
        if dirty.strip():
            console.print("[yellow]warning:[/yellow] uncommitted or untracked files are recorded too; "
                          "a clean clone will not match:\n" + dirty.rstrip())
        path = manifest.write(root)
        console.print(f"wrote {path} ({len(manifest.load(root) or {})} files)")
        return
    problem = manifest.verify(root)
    console.print(problem or "the grader's files match grader/manifest.json")
    raise typer.Exit(1 if problem else 0)


@app.command("grade-fork")
def grade_fork(
    ids: List[str] = typer.Argument(None, help="Challenge ids (all when none given)."),
    upstream: str = typer.Option(..., "--upstream", help="The upstream repository (URL or path) to grade with."),
    ref: str = typer.Option(..., "--ref", help="The upstream commit, tag or branch to grade with (pin it)."),
    fork: Path = typer.Option(Path("."), "--fork", help="The candidate's checkout; only its solutions are used."),
    results_dir: Path = typer.Option(Path("results"), "--results-dir", help="Where the results files go."),
    track: List[str] = typer.Option(None, "--track", help="Only challenges of this track (repeatable)."),
) -> None:
    """Grade a fork's solutions with the upstream's tests: clone upstream at REF, copy in only
    challenges/*/solution.*, run `grader check --ci` there."""
    from grader.forks import ForkError, grade

    warn_if_not_official()
    try:
        code = grade(upstream, ref, fork.resolve(), results_dir.resolve(), ids=ids or [], tracks=track or [], echo=console.print)
    except ForkError as exc:
        raise _fail_usage(str(exc)) from None
    raise typer.Exit(code)


@app.command()
def show(challenge_id: str) -> None:
    """Print a challenge's statement."""
    _, challenge = _one(challenge_id)
    console.print(Markdown(challenge.statement_path.read_text()))
    console.print(f"\n[dim]Your file: {challenge.ensure_solution()}[/dim]")


@app.command()
def hint(challenge_id: str, level: Optional[int] = typer.Option(None, "--level", help="Show hints 1..N.")) -> None:
    """The next hint, from gentle to near-solution (each call reveals one more)."""
    root, challenge = _one(challenge_id)
    from grader import interview as interviews

    under_way = interviews.active(root)
    if under_way is not None:
        raise _fail_usage(f"no hints during an interview ({under_way.challenge}, "
                          f"{interviews.clock(under_way.left_s())} left)")
    if not challenge.hints:
        console.print(f"{challenge.id} has no hints.")
        return
    seen_path = root / ".grader" / "hints" / challenge.id
    last = False
    if level is None:
        seen = int(seen_path.read_text()) if seen_path.exists() else 0
        last = seen >= len(challenge.hints)
        level = min(seen + 1, len(challenge.hints))
    if not 1 <= level <= len(challenge.hints):
        raise _fail_usage(f"{challenge.id} has hints 1 to {len(challenge.hints)}; got --level {level}")
    (state.folder(root, "hints") / challenge.id).write_text(str(level))
    for i, text in enumerate(challenge.hints[:level], start=1):
        console.print(f"[bold]Hint {i}/{len(challenge.hints)}:[/bold] {text}")
    if last:
        console.print(f"[yellow]No more hints: that was the last of {len(challenge.hints)}.[/yellow] "
                      f"The statement's worked example (`grader show {challenge.id}`) and the failing "
                      "property's input are the next best help.")


@app.command()
def interview(
    challenge_id: Optional[str] = typer.Argument(None, help="The exercise (default: the first unsolved one)."),
    area: Optional[str] = typer.Option(None, "--area", help="Pick an unsolved exercise of this area."),
    minutes: float = typer.Option(45.0, "--minutes", help="Time on the clock."),
    reveal: bool = typer.Option(False, "--reveal", help="After an interview: show the reference solution."),
    poll: bool = typer.Option(False, "--poll", help="Poll for changes instead of file-system events."),
) -> None:
    """Interview mode: one exercise against the clock, hints hidden, checked on every save, then a debrief."""
    from grader import interview as interviews
    from grader import progress

    root, catalog = _catalog()
    if reveal:
        done = [i.challenge for i in interviews.past(root)]
        wanted = challenge_id or (done[-1] if done else None)
        if wanted is None or wanted not in done:
            raise _fail_usage("--reveal shows the reference after an interview of that exercise has ended"
                              + (f"; none of {wanted} has" if wanted else "; none has yet"))
        from rich.syntax import Syntax

        challenge = _select(catalog, [wanted])[0]
        path = challenge.example_path(root)
        console.print(f"[bold]The reference solution of {challenge.id}[/bold] ({path.relative_to(root)}):")
        console.print(Syntax(path.read_text(), "python" if path.suffix == ".py" else "cpp", line_numbers=True))
        return
    if minutes <= 0:
        raise _fail_usage(f"--minutes must be positive, got {minutes:g}")
    if area is not None and area not in AREAS:
        raise _fail_usage(f"unknown area {area!r}; expected one of {', '.join(AREAS)}")
    under_way = interviews.active(root)
    if under_way is not None:
        raise _fail_usage(f"an interview of {under_way.challenge} is under way ({interviews.clock(under_way.left_s())} left)")
    if challenge_id:
        challenge = _select(catalog, [challenge_id])[0]
    else:
        challenge = interviews.pick(catalog, progress.standings(root, catalog), area)
        if challenge is None:
            raise _fail_usage("no unsolved exercise that runs here" + (f" in {area}" if area else ""))
    if skip_reason(challenge.track):
        raise _fail_usage(f"{challenge.id} cannot run here: {skip_reason(challenge.track)}")
    statement = challenge.statement_path.read_text().split("## What interviewers probe", 1)[0]
    console.print(Markdown(statement))
    console.rule(f"Interview: {challenge.id} · {interviews.clock(minutes * 60)} on the clock · hints hidden")
    console.print(f"Edit {challenge.ensure_solution()}; every save is checked. It ends when a check passes or time is up.")
    session_ = interviews.conduct(
        root, challenge, minutes, console=console, poll=poll,
        check=lambda changed: run_checks(root, changed, solution=None, profile="quick", seed=None))
    interviews.debrief(session_, challenge, catalog, console)


@app.command()
def reset(challenge_id: str) -> None:
    """Restore the stub; your current file is kept as a timestamped backup."""
    _, challenge = _one(challenge_id)
    target = challenge.solution_path
    if target.exists():
        backup = target.with_name(f"{target.stem}.{time.strftime('%Y%m%d-%H%M%S')}.bak{target.suffix}")
        shutil.move(target, backup)
        console.print(f"Kept your file as {backup}")
    shutil.copyfile(challenge.stub_path, target)
    console.print(f"Restored the stub at {target}")


@app.command()
def watch(
    ids: List[str] = typer.Argument(None, help="Challenges to watch (with none: the next unsolved one, then the next)."),
    poll: bool = typer.Option(False, "--poll", help="Poll for changes instead of file-system events (network drives)."),
    profile: str = typer.Option("quick", "--profile"),
    exitfirst: bool = typer.Option(False, "--exitfirst", "-x", help="Stop each check at its first failing property."),
) -> None:
    """Re-check on every save. With no id, follow the catalog: check the next unsolved exercise and,
    once it passes, move on to the one after it."""
    from grader import progress
    from grader.watching import watch_and_check

    root, catalog = _catalog()
    chosen = _select(catalog, ids)

    def recheck(changed: list[Challenge]) -> bool:
        console.rule(time.strftime("%H:%M:%S"))
        run = run_checks(root, changed, solution=None, profile=profile, seed=None, exitfirst=exitfirst)
        print_summary(console, run)
        return run.passed

    def advance(current: list[Challenge]) -> list[Challenge]:
        upcoming = progress.next_exercise(progress.standings(root, catalog), after=current[0])
        if upcoming is None:
            console.print("[green]Every exercise that can run here is solved.[/green]")
            return []
        console.print(f"[green]{current[0].id} passes.[/green] Next: [bold]{upcoming.id}[/bold] — "
                      f"{upcoming.title} (`grader show {upcoming.id}`)")
        return [upcoming]

    if ids:
        watch_and_check(chosen, recheck, poll=poll, console=console)
        return
    upcoming = progress.next_exercise(progress.standings(root, catalog))
    if upcoming is None:
        console.print("[green]Every exercise that can run here is solved.[/green]")
        return
    console.print(f"Starting with [bold]{upcoming.id}[/bold] — {upcoming.title} (`grader show {upcoming.id}`)")
    watch_and_check([upcoming], recheck, poll=poll, console=console, advance=advance)


@app.command()
def bench(
    challenge_id: str,
    solution: Optional[Path] = typer.Option(None, "--solution", help="Time this file instead of your solution."),
    sizes: List[int] = typer.Option(None, "--size", help="Input sizes (repeatable); default: the challenge's."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw the scaling to this PNG (matplotlib)."),
) -> None:
    """Time your solution against the reference across input sizes."""
    from rich.table import Table

    from grader.running import grade_challenge

    root, challenge = _one(challenge_id)
    chosen = sizes or challenge.extra.get("speed", {}).get("sizes")
    if not chosen:
        raise _fail_usage(f"{challenge.id} has no \\[speed] sizes in its challenge.toml; pass --size N")
    path = _solution_for(challenge, solution, many=False)
    if state.is_stub(challenge, path):
        console.print(f"not started: {path} is still the stub, so there is nothing to time yet")
        raise typer.Exit(1)
    result = grade_challenge(challenge, root, path, profile="quick", seed=0, bench_sizes=sorted(chosen),
                             time_limit_s=challenge.time_limit_s * 5)
    if not result.bench:
        console.print(f"[red]could not time {challenge.id}:[/red] {result.status} {result.message}")
        raise typer.Exit(1)
    rows = result.bench
    table = Table(title=f"{challenge.id}: your solution against the reference ({challenge.track} track)")
    for column in ("size", "you", "reference", "ratio", "spread", f"throughput ({rows[0]['unit']}/s)"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(str(row["size"]), f"{row['candidate_s'] * 1e3:.3f} ms", f"{row['reference_s'] * 1e3:.3f} ms",
                      f"{row['ratio']:.2f}×", f"±{row['spread'] * 50:.0f}%", f"{row['throughput']:.3g}")
    console.print(table)
    if solution is None:
        state.save_bench(root, challenge, rows)
    threshold = challenge.extra.get("speed", {}).get("threshold")
    if threshold and challenge.extra.get("speed", {}).get("graded"):
        console.print(f"[dim]graded at size {max(chosen)}: at most {threshold}× the reference's time[/dim]")
    if plot:
        from grader.plotting import plot_scaling

        plot_scaling(rows, challenge.id, plot)
        console.print(f"wrote {plot}")


@app.command()
def report(html_path: Path = typer.Option(..., "--html", help="Write one self-contained HTML page here.")) -> None:
    """A page of where you stand: progress, each challenge's last check with its replays, interviews,
    kernel scaling plots."""
    from grader.htmlreport import render

    root, catalog = _catalog()
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render(root, catalog))
    console.print(f"wrote {html_path}")


@app.command("classroom-workflow")
def classroom_workflow(
    ids: List[str] = typer.Argument(None, help="Challenges of the assignment (all when none given)."),
    upstream: str = typer.Option("cv-grader/cv-grader", "--upstream", help="The repository the tests come from."),
    ref: str = typer.Option(..., "--ref", help="A pinned tag or commit of it."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write here instead of printing."),
) -> None:
    """For instructors: the GitHub Classroom autograding workflow, one test per challenge with its points."""
    from grader.classroom import gradable_on_hosted_runners, workflow

    _, catalog = _catalog()
    chosen = _select(catalog, ids) if ids else gradable_on_hosted_runners(catalog)
    text = workflow(chosen, upstream, ref)
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    console.print(f"wrote {out}")


@app.command("gradescope-bundle")
def gradescope_bundle(
    out: Path = typer.Argument(..., help="The zip to write (upload it as the assignment's autograder)."),
    ids: List[str] = typer.Argument(None, help="Challenges of the assignment (default: every one that needs no GPU)."),
    profile: str = typer.Option("ci", "--profile", help="ci, or thorough (a longer search per submission)."),
    hide_replay: bool = typer.Option(False, "--hide-replay", help="Students see the seed and the replay commands "
                                     "only once grades are published."),
    wheel: Optional[Path] = typer.Option(None, "--wheel", help="A cv-grader wheel of this version already built "
                                         "(default: build one, about a minute)."),
) -> None:
    """For instructors: the Gradescope autograder zip (setup.sh, run_autograder, this exact grader
    as a wheel, the challenges), grading each submission's challenges/*/solution.* officially."""
    from grader import gradescope

    root, catalog = _catalog()
    _select(catalog, ids)  # an unknown id is a usage error before anything is built
    try:
        bundle = gradescope.build(root, out, ids, profile=profile, hide_replay=hide_replay, wheel=wheel,
                                  echo=console.print)
    except gradescope.BundleError as exc:
        raise _fail_usage(str(exc)) from None
    for warning in bundle.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    console.print(f"wrote {bundle.path}: {len(bundle.ids)} challenge(s) ({', '.join(bundle.ids)}), profile "
                  f"{bundle.profile}, replays {'hidden until published' if bundle.hide_replay else 'shown'}; "
                  f"cv-grader wheel {bundle.wheel}, torch {bundle.torch} (CPU), {bundle.files} files")
    console.print(f"A submission that runs out every time limit takes up to {bundle.worst_case_s / 60:.0f} min on one "
                  "CPU: set the assignment's autograder timeout above that (Gradescope writes no results for a "
                  "run it stops), or bundle fewer challenges per assignment.")


@app.command("gradescope-run", hidden=True)
def gradescope_run(
    autograder_root: Optional[Path] = typer.Option(None, "--autograder-root",
                                                   help="Gradescope's /autograder (default: $CVG_AUTOGRADER_ROOT or /autograder)."),
) -> None:
    """What a bundle's run_autograder runs: grade /autograder/submission, write /autograder/results/results.json."""
    from grader import gradescope

    raise typer.Exit(gradescope.run(autograder_root or gradescope.autograder_root(), echo=console.print))


@app.command("roster-report")
def roster_report(
    results: List[Path] = typer.Argument(..., help="Results files (cv-grader.json), one folder per student."),
    csv_path: Path = typer.Option(Path("gradebook.csv"), "--csv", help="The gradebook: one row per student."),
    markdown_path: Path = typer.Option(Path("roster.md"), "--markdown", help="Per challenge: solved, attempts, failures."),
) -> None:
    """For instructors: one gradebook CSV and a Markdown summary from many students' results files."""
    from grader.classroom import roster

    missing = [str(p) for p in results if not p.is_file()]
    if missing:
        raise _fail_usage(f"no such results file: {', '.join(missing)}")
    try:
        table, summary = roster(results)
    except (ValueError, KeyError, TypeError) as exc:
        raise _fail_usage(f"not a cv-grader results file: {exc}") from None
    csv_path.write_text(table)
    markdown_path.write_text(summary)
    console.print(f"wrote {csv_path} and {markdown_path}")


@app.command()
def new(
    challenge_id: str = typer.Argument(..., help="The new challenge's id: a lower-case identifier, also the op's name."),
    area: str = typer.Option(..., "--area", help="One of: " + ", ".join(AREAS) + "."),
    difficulty: str = typer.Option("medium", "--difficulty", help="easy, medium or hard."),
) -> None:
    """For authors: the files of a new Python challenge (folder, reference, suite), each a skeleton
    whose placeholders `grader validate` names until they are written."""
    from grader import scaffold

    root, catalog = _catalog()
    try:
        written = scaffold.create(root, catalog, challenge_id, area, difficulty)
    except scaffold.ScaffoldError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    for path in written:
        console.print(f"  wrote {path.relative_to(root)}")
    console.print(f"Fill in every '{scaffold.PLACEHOLDER}', add mutants until there are four, then run "
                  f"`grader manifest --write` and `grader validate {challenge_id}`.")


@app.command()
def validate(ids: List[str] = typer.Argument(None, help="Challenges to validate (all when none given).")) -> None:
    """For authors: check challenges the way CI does (the manifest current, parts present, statement
    headings, stub unsolved, example passing, every known-wrong solution rejected by the property it names)."""
    from grader.validation import validate as validate_challenge

    from grader import manifest

    root, catalog = _catalog()
    chosen = _select(catalog, ids)
    stale = manifest.verify(root)
    mark = "[green]✔[/green]" if stale is None else "[red]✘[/red]"
    console.print(f"{mark} the manifest records the grader's files"
                  + ("" if stale is None else f" [dim]— {stale}; run `grader manifest --write`[/dim]"))
    bad = stale is not None
    for challenge in chosen:
        for finding in validate_challenge(root, challenge):
            mark = "[yellow]-[/yellow]" if finding.skipped else "[green]✔[/green]" if finding.ok else "[red]✘[/red]"
            detail = f" [dim]— {finding.skipped}[/dim]" if finding.skipped else "" if finding.ok else f" [dim]— {finding.detail}[/dim]"
            console.print(f"{mark} {challenge.id}: {finding.check}{detail}")
            bad += not finding.ok
    console.print(f"\n[bold]{'all checks passed' if not bad else f'{bad} checks failed'}[/bold]")
    raise typer.Exit(0 if not bad else 1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]")
        sys.exit(130)


if __name__ == "__main__":
    main()
