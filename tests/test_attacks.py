"""A corpus of attacks on the grade (tests/fixtures/attacks/<family>/<name>.*), each of which must be
rejected without points and must leave the checkout, the installed package and the environment
exactly as they were.

Every fixture starts with ``# Attack: <what it tries>. Expect: <status>[|<status>...]`` (``//`` for
C++), optionally followed by ``# Grade: challenge=<id> limit=<s> words=<text> forbid_output=<text>``
(``forbid_output`` takes the rest of the line). Fixtures under ``correct/`` are honest solutions that
must still pass. Fixtures under ``grade_fork/`` plant a variant into a fork for ``grader grade-fork``.

Many attacks compute the right answer only when their escape worked (a write outside the box, a
helper process, a read of the reference), so an escape shows up as a "passed" verdict.

A fixture is graded as assembled by ``solution_file``: ``@CHECKOUT@`` stands for this checkout's
path (attacks aim at the real files, wherever the project is cloned), and a line
``# cvg-include: <file>`` (``//`` for C++) is replaced by that file of ``tests/fixtures/attack_parts/``,
so that the honest code many attacks wrap (an IoU loop, the "right answer only if a write got
through" pay-off) is written once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import site
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader.catalog import load_catalog
from grader.running import grade_challenge

ROOT = Path(__file__).resolve().parents[1]
ATTACKS = ROOT / "tests" / "fixtures" / "attacks"
PARTS = ROOT / "tests" / "fixtures" / "attack_parts"
INCLUDE = re.compile(r"^[ \t]*(?:#|//) cvg-include: (?P<name>[\w.]+)[ \t]*$", re.MULTILINE)
CATALOG = {c.id: c for c in load_catalog(ROOT)}
NOT_A_PASS = {"failed", "error", "crashed", "forbidden", "timeout", "not_started"}
DAEMON_MARKER = Path("/tmp/cvg-attack-daemon-marker")
SUFFIXES = (".py", ".cpp", ".cu")


# --- fixtures and their headers -----------------------------------------------------------------------


def _header(path: Path) -> dict:
    lines = path.read_text().splitlines()
    first = re.match(r"^(?:#|//) Attack: (?P<what>.*)\. Expect: (?P<expect>[a-z_|]+)\s*$", lines[0])
    assert first, f"{path}: the first line must be '# Attack: <what>. Expect: <status>'"
    meta = {"what": first["what"], "expect": set(first["expect"].split("|"))}
    if len(lines) > 1 and re.match(r"^(?:#|//) Grade: ", lines[1]):
        rest = re.sub(r"^(?:#|//) Grade: ", "", lines[1])
        if "forbid_output=" in rest:
            rest, _, meta["forbid_output"] = rest.partition("forbid_output=")
        for token in rest.split():
            key, _, value = token.partition("=")
            meta[key] = value
    meta.setdefault("challenge", "box_iou")
    return meta


def solution_file(path: Path) -> Path:
    """The fixture as the grader is given it: includes spliced in, ``@CHECKOUT@`` made this
    checkout. Written beside nothing the attack could use: a fresh temporary folder, same name."""
    text = path.read_text()
    for _ in range(3):  # a part may include another
        text = INCLUDE.sub(lambda m: (PARTS / m["name"]).read_text().rstrip("\n"), text)
    assert not INCLUDE.search(text), f"{path}: includes nest deeper than three"
    text = text.replace("@CHECKOUT@", str(ROOT))
    if text == path.read_text():
        return path
    folder = Path(tempfile.mkdtemp(prefix="cvg-attack-"))
    assembled = folder / path.name
    assembled.write_text(text)
    return assembled


def _fixtures(family_filter) -> list:
    found = []
    for path in sorted(ATTACKS.glob("*/*")):
        if path.suffix in SUFFIXES and family_filter(path.parent.name):
            found.append(pytest.param(path, id=f"{path.parent.name}/{path.name}"))
    return found


ATTACK_FILES = _fixtures(lambda family: family not in ("correct", "grade_fork"))
CORRECT_FILES = _fixtures(lambda family: family == "correct")


# --- what must not change ---------------------------------------------------------------------------


def _site_packages() -> list[Path]:
    dirs = {Path(p) for p in [*site.getsitepackages(), site.getusersitepackages()] if os.path.isdir(p)}
    return sorted(dirs)


PROJECT_PREFIXES = ("reference", "grader", "tests", "_cv_grader", "__editable__", "_editable", "cv_grader")
HOME_FILES = [Path.home() / n for n in (".bashrc", ".profile", ".bash_profile", ".gitconfig", ".pydistutils.cfg")]
SYSTEM_FILES = [Path("/etc/ld.so.preload"), Path("/etc/profile.d/zz_cvg.sh"), Path("/etc/environment")]
SKIP_PARTS = {"__pycache__", ".hypothesis", ".pytest_cache"}


def _record(path: Path) -> str:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return "absent"
    if stat.S_ISLNK(info.st_mode):
        return f"link {os.readlink(path)}"
    if not stat.S_ISREG(info.st_mode):
        return f"mode {info.st_mode:o}"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"{info.st_mode:o} {digest}"


def _tree(folder: Path, out: dict) -> None:
    if not folder.exists():
        return
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_PARTS)
        out[dirpath + "/"] = "dir"
        for name in sorted(filenames):
            if name.endswith(".pyc"):
                continue
            path = Path(dirpath) / name
            out[str(path)] = _record(path)


def snapshot() -> dict:
    """Everything an attack must leave alone (what the grader itself writes, .grader/ and
    .hypothesis/, and the interpreter's bytecode caches are left out)."""
    out: dict[str, str] = {}
    status = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True).stdout
    out["git status"] = "\n".join(line for line in status.splitlines() if "__pycache__" not in line)
    for name in ("grader", "reference", "tests", "csrc"):
        _tree(ROOT / name, out)
    for folder in sorted((ROOT / "challenges").iterdir()):
        for path in sorted(folder.iterdir()):
            if path.name == "challenge.toml" or path.name.startswith(("stub.", "harness.", "solution.")) \
                    or path.name == "adapter.py":
                out[str(path)] = _record(path)
    for directory in _site_packages():
        names = sorted(os.listdir(directory))
        out[f"{directory} listing"] = "\n".join(n for n in names if n.endswith((".pth", ".py")) or n.startswith(PROJECT_PREFIXES))
        for name in names:
            path = directory / name
            if name.endswith(".pth") or name.startswith(PROJECT_PREFIXES) or name.startswith("sitecustomize"):
                if path.is_dir() and not path.is_symlink():
                    _tree(path, out)
                else:
                    out[str(path)] = _record(path)
    for path in [*HOME_FILES, *SYSTEM_FILES, DAEMON_MARKER]:
        out[str(path)] = _record(path)
    return out


def changes(before: dict, after: dict) -> list[str]:
    return [f"{key}: {before.get(key, 'absent')!s:.80} -> {after.get(key, 'absent')!s:.80}"
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]


@pytest.fixture
def untouched():
    """Fails the test when anything outside the grader's own scratch space changed."""
    before = snapshot()
    yield
    time.sleep(0.2)
    changed = changes(before, snapshot())
    assert not changed, "the attack changed what it must not:\n" + "\n".join(changed)


# --- grading --------------------------------------------------------------------------------------------


def grade(path: Path, meta: dict):
    challenge = CATALOG[meta["challenge"]]
    limit = float(meta["limit"]) if "limit" in meta else None
    # Unshrunk and stopped at the first failing property: what is checked is the verdict. An attack
    # acts at import or on its first calls, and one whose escape worked computes the right answer,
    # so it passes every property and shows up as a pass either way.
    return grade_challenge(challenge, ROOT, solution_file(path), profile="quick", seed=1, time_limit_s=limit,
                           shrink=False, exitfirst=True)


def describe(result) -> str:
    lines = [f"status={result.status} message={result.message[:400]!r}"]
    lines += [f"  {t.name}: {t.status} {t.message[:300]}" for t in result.tests if t.status != "passed"
              or t.name in ("speed", "memory")]
    lines.append(f"  output tail: {result.output[-600:]!r}")
    return "\n".join(lines)


def score(result) -> int:
    """Points as every export awards them: the challenge's points only for a pass."""
    return result.points if result.status == "passed" else 0


@pytest.mark.parametrize("path", ATTACK_FILES)
def test_attack_is_rejected(path, untouched):
    meta = _header(path)
    assert not meta["expect"] & {"passed"}, f"{path}: an attack cannot expect a pass"
    result = grade(path, meta)
    assert result.status != "passed" and score(result) == 0, f"HOLE: {meta['what']}\n{describe(result)}"
    assert result.status in meta["expect"], f"{meta['what']}\nexpected {meta['expect']}\n{describe(result)}"
    text = result.message + " ".join(t.message for t in result.tests)
    if "words" in meta:
        assert meta["words"] in text, describe(result)
    if "forbid_output" in meta:
        assert meta["forbid_output"] not in result.output, f"HOLE: {meta['what']}\n{describe(result)}"
    assert not DAEMON_MARKER.exists(), "a process the solution started outlived the grade"


@pytest.mark.parametrize("path", CORRECT_FILES)
def test_correct_solution_still_passes(path, untouched):
    meta = _header(path)
    result = grade(path, meta)
    assert result.status == "passed" and score(result) == CATALOG[meta["challenge"]].points, describe(result)


def test_every_family_has_attacks():
    families = {p.values[0].parent.name for p in ATTACK_FILES}
    assert families >= {"judge_channel", "shared_process", "lying_values", "writes", "kernel_tracks", "forbidden_api"}
    assert len(list((ATTACKS / "grade_fork").glob("*.py"))) >= 5
    assert len(ATTACK_FILES) >= 90


# --- through the command line ---------------------------------------------------------------------------


def cli(*args, cwd: Path = ROOT, env_root: Path | None = None, timeout: int = 300):
    env = {k: v for k, v in os.environ.items() if k != "CV_GRADER_ROOT"}
    env["COLUMNS"] = "200"
    if env_root is not None:
        env["CV_GRADER_ROOT"] = str(env_root)
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_ci_results_cannot_be_rewritten(untouched):
    """The results folder's files are written by the CLI after grading and stay as written: the
    solution tries to overwrite them during the run and from a daemon after it."""
    results = Path(tempfile.mkdtemp(prefix="cvg-attack-results-"))
    try:
        for name in ("write_results",):
            out = cli("check", "box_iou", "--ci", "--results-dir", str(results),
                      "--solution", str(solution_file(ATTACKS / "writes" / f"{name}.py")))
            assert out.returncode == 1, out.stdout + out.stderr
            written = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
            data = json.loads(written["cv-grader.json"])
            assert data["challenges"][0]["status"] == "failed", data["challenges"][0]
            assert json.loads(written["results.json"])["score"] == 0
            time.sleep(4)  # longer than the daemon's delay
            assert {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()} == written
            assert not DAEMON_MARKER.exists()
    finally:
        shutil.rmtree(results, ignore_errors=True)


def test_ci_seed_and_token_stay_out_of_the_box(tmp_path):
    """Under --ci the seed is drawn in the grader and must stay secret from the solution (a solution
    that knows it knows the timed inputs in advance); the box is forked from the judge, so the job
    dict in the judge's frames must not be there to read."""
    out = cli("check", "box_iou", "--ci", "--results-dir", str(tmp_path),
              "--solution", str(solution_file(ATTACKS / "judge_channel" / "reads_seed_from_memory.py")))
    assert out.returncode == 1, out.stdout + out.stderr
    data = json.loads((tmp_path / "cv-grader.json").read_text())
    output = data["challenges"][0]["output"]
    line = next((line for line in output.splitlines() if line.startswith("CHEAT-SEED")), "")
    assert line, output
    assert f"CHEAT-SEED {data['seed']} " not in line, f"HOLE: the solution read the --ci seed from memory: {line}"
    assert "CHEAT-TOKEN None" in line, f"HOLE: the solution read the result token from memory: {line}"


# --- grade-fork ----------------------------------------------------------------------------------------


IGNORE = shutil.ignore_patterns("__pycache__", "*.so", "solution.*", "*.bak*", "build", ".pytest_cache", "attacks")


def _git(*args, cwd: Path):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)


def _plants() -> list[tuple[Path, dict]]:
    plants = []
    for path in sorted((ATTACKS / "grade_fork").glob("*.py")):
        namespace: dict = {"__file__": str(path), "__name__": f"cvg_attack_{path.stem}"}
        exec(compile(path.read_text(), str(path), "exec"), namespace)  # no bytecode cache in the fixtures
        plants.append((path, namespace))
    return plants


def test_grade_fork_links_and_odd_files_are_not_graded(tmp_path, untouched):
    tree = tmp_path / "tree"
    for name in ("challenges", "grader", "reference", "tests", "csrc"):
        shutil.copytree(ROOT / name, tree / name, ignore=IGNORE)
    shutil.copyfile(ROOT / "pyproject.toml", tree / "pyproject.toml")
    assert cli("manifest", "--write", cwd=tmp_path, env_root=tree).returncode == 0
    _git("init", "-q", "-b", "main", cwd=tree)
    _git("add", ".", cwd=tree)
    _git("commit", "-q", "-m", "upstream", cwd=tree)
    _git("tag", "v1", cwd=tree)
    bare = tmp_path / "upstream.git"
    _git("init", "-q", "--bare", "-b", "main", str(bare), cwd=tmp_path)
    _git("push", "-q", str(bare), "main", "v1", cwd=tree)
    fork = tmp_path / "fork"
    _git("clone", "-q", str(bare), str(fork), cwd=tmp_path)

    plants = _plants()
    for _, namespace in plants:
        namespace["plant"](fork, tmp_path)
    ids = [namespace["CHALLENGE"] for _, namespace in plants]
    assert len(set(ids)) == len(ids), "each grade-fork attack plants into a challenge of its own"

    results = tmp_path / "results"
    out = cli("grade-fork", *ids, "--upstream", f"file://{bare}", "--ref", "v1", "--fork", str(fork),
              "--results-dir", str(results), cwd=fork, timeout=600)
    assert out.returncode == 1, out.stdout + out.stderr
    data = json.loads((results / "cv-grader.json").read_text())
    statuses = {c["id"]: c["status"] for c in data["challenges"]}
    for path, namespace in plants:
        meta = _header(path)
        status = statuses[namespace["CHALLENGE"]]
        assert status != "passed", f"HOLE: {meta['what']} ({status})"
        assert status in meta["expect"], f"{meta['what']}: {status}"
    gradescope = json.loads((results / "results.json").read_text())
    assert gradescope["score"] == 0
    assert gradescope["max_score"] == sum(CATALOG[i].points for i in ids)  # the crafted toml's points are not used
