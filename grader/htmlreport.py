"""``grader report --html``: one self-contained page of where the candidate stands. Progress by
area; every challenge's status with, for the last check of the candidate's own file, its failing
properties, inputs and replay commands; the interviews; and for the kernel tracks the speed ratio
against its threshold and the scaling plot of the last ``grader bench``. No external resources: the
styles are inline and the plots are embedded as data URIs, so the file can be mailed or archived."""

from __future__ import annotations

import base64
import html
import tempfile
import time
from pathlib import Path

from grader import interview, progress, state
from grader.catalog import Challenge

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}.muted{color:#666}table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
.bar{display:inline-block;background:#eee;width:12rem;height:.8rem;border-radius:.4rem;overflow:hidden}
.bar span{display:block;height:100%;background:#2a8}.passed{color:#1a7f37}.failed,.error,.crashed,
.timeout,.internal,.forbidden{color:#c22}.not_started,.unchecked,.skipped{color:#888}
pre{background:#f6f6f6;padding:.5rem;overflow-x:auto;white-space:pre-wrap;margin:.3rem 0}
details{margin:.2rem 0}img{max-width:32rem}
"""


def _e(text) -> str:
    return html.escape(str(text))


def _bar(done: int, total: int) -> str:
    width = 100 * done / total if total else 0
    return f'<span class="bar" title="{done} of {total}"><span style="width:{width:.0f}%"></span></span>'


def _plot(rows: list[dict], title: str) -> str:
    """The scaling plot as an <img> with a data URI, or a small table when matplotlib is missing."""
    try:
        from grader.plotting import plot_scaling

        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "plot.png"
            plot_scaling(rows, title, path)
            data = base64.b64encode(path.read_bytes()).decode()
        return f'<img alt="scaling of {_e(title)}" src="data:image/png;base64,{data}">'
    except ImportError:
        cells = "".join(f"<tr><td>{r['size']}</td><td>{r['candidate_s'] * 1e3:.3f} ms</td>"
                        f"<td>{r['reference_s'] * 1e3:.3f} ms</td><td>{r['ratio']:.2f}×</td></tr>" for r in rows)
        return f"<table><tr><th>size</th><th>you</th><th>reference</th><th>ratio</th></tr>{cells}</table>"


def _details(root: Path, challenge: Challenge, status: str) -> str:
    """What the last check of the candidate's current file found (nothing when it was not checked)."""
    record = state.saved(root, "results", challenge)
    if not record or status in ("not_started", "unchecked"):
        return ""
    parts = []
    if record.get("message"):
        parts.append(f"<p>{_e(record['message'])}</p>")
    for test in record.get("tests", []):
        if test["status"] in ("passed", "skipped"):
            continue
        lines = [test["message"], *test.get("example", [])]
        replay = record.get("replay", {}).get(test["name"])
        if replay:
            lines.append(f"replay: {replay}")
        parts.append(f"<details><summary><b>{_e(test['name'])}</b> — {_e(test['status'])}</summary>"
                     f"<pre>{_e(chr(10).join(lines))}</pre></details>")
    for measurement in record.get("measurements", []):
        limit = f"at most {measurement['threshold']:g}×" if measurement.get("threshold") is not None else "reported"
        parts.append(f"<p>{_e(measurement['name'])}: {measurement['ratio']:.3g}× {_e(measurement['of'])} ({_e(limit)})</p>")
    return "".join(parts)


def render(root: Path, catalog: list[Challenge]) -> str:
    rows = progress.standings(root, catalog)
    solved = sum(r.kind == progress.SOLVED for r in rows)
    runnable = sum(r.kind != progress.CANNOT_RUN for r in rows)
    out = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>cv-grader report</title>"
           f"<style>{STYLE}</style></head><body>",
           f"<h1>cv-grader</h1><p class=muted>report of {_e(time.strftime('%Y-%m-%d %H:%M'))}</p>",
           f"<p>{_bar(solved, runnable)} <b>{solved} of {runnable}</b> solved"
           + (f" <span class=muted>({len(rows) - runnable} cannot run on this machine)</span>" if runnable < len(rows) else "")
           + "</p>", "<h2>By area</h2><table><tr><th>area</th><th>solved</th><th>attempted</th><th>not started</th><th></th></tr>"]
    for area, counts in progress.tally(rows, lambda c: c.area).items():
        total = counts[progress.SOLVED] + counts[progress.ATTEMPTED] + counts[progress.NOT_STARTED]
        out.append(f"<tr><td>{_e(area)}</td><td>{counts[progress.SOLVED]}</td><td>{counts[progress.ATTEMPTED]}</td>"
                   f"<td>{counts[progress.NOT_STARTED]}</td><td>{_bar(counts[progress.SOLVED], total)}</td></tr>")
    out.append("</table><h2>Challenges</h2><table id=challenges><tr><th>challenge</th><th>track</th><th>area</th>"
               "<th>status</th><th>details</th></tr>")
    for row in rows:
        c, status = row.challenge, ("skipped" if row.reason else row.status)
        shown = status.replace("_", " ") + (f" ({row.reason})" if row.reason else "")
        out.append(f"<tr data-id={_e(c.id)}><td><b>{_e(c.id)}</b><br><span class=muted>{_e(c.title)}</span></td>"
                   f"<td>{_e(c.track)}</td><td>{_e(c.area)}</td><td class={_e(status)}>{_e(shown)}</td>"
                   f"<td>{_details(root, c, status)}</td></tr>")
    out.append("</table>")
    timed = [(c, state.saved(root, "bench", c)) for c in catalog if c.extra.get("speed")]
    timed = [(c, bench) for c, bench in timed if bench]
    if timed:
        out.append("<h2>Kernel tracks: scaling</h2>")
        for c, bench in timed:
            out.append(f"<h3>{_e(c.id)}</h3>{_plot(bench, c.id)}")
    past = interview.past(root)
    if past:
        out.append("<h2>Interviews</h2><table><tr><th>when</th><th>exercise</th><th>result</th><th>checks</th>"
                   "<th>failed on the way</th></tr>")
        for i in past:
            out.append(f"<tr><td>{_e(time.strftime('%Y-%m-%d %H:%M', time.localtime(i.started)))}</td>"
                       f"<td>{_e(i.challenge)}</td><td>{_e(i.outcome())}</td><td>{i.checks}</td>"
                       f"<td>{_e(', '.join(i.failed_properties) or '—')}</td></tr>")
        out.append("</table>")
    out.append("</body></html>\n")
    return "".join(out)
