"""What grades is what was pinned, without a grading run: which of a fork's files `grade-fork`
copies (never through a symbolic link, never an absurd file), and what the manifest records."""

import os
import shutil
from pathlib import Path

import pytest

from grader import forks, manifest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_BOX_IOU = ROOT / "reference" / "ops" / "box_iou.py"


@pytest.fixture
def upstream(tmp_path):
    """A stand-in for the upstream clone: challenge folders with their challenge.toml."""
    target = tmp_path / "upstream"
    for name in ("box_iou", "nms", "anchors", "letterbox", "box_iou_cpp", "big", "latin1", "fifo", "folder"):
        (target / "challenges" / name).mkdir(parents=True)
        (target / "challenges" / name / "challenge.toml").write_text(f'id = "{name}"\n')
    return target


def make_fork(tmp_path: Path) -> Path:
    fork = tmp_path / "fork"
    for name in ("box_iou", "nms", "box_iou_cpp", "big", "latin1", "fifo", "folder"):
        (fork / "challenges" / name).mkdir(parents=True)
    return fork


def test_regular_solutions_are_copied_byte_for_byte(tmp_path, upstream):
    fork = make_fork(tmp_path)
    shutil.copyfile(REFERENCE_BOX_IOU, fork / "challenges" / "box_iou" / "solution.py")
    (fork / "challenges" / "box_iou_cpp" / "solution.cpp").write_bytes(b"// \xc3\xa9t\xc3\xa9\r\nint x;\n")
    (fork / "challenges" / "unknown").mkdir()
    (fork / "challenges" / "unknown" / "solution.py").write_text("x = 1\n")
    (fork / "challenges" / "notes.txt").write_text("a file beside the challenge folders is not looked at\n")
    copied, ignored = forks.copy_solutions(fork, upstream)
    assert copied == ["challenges/box_iou/solution.py", "challenges/box_iou_cpp/solution.cpp"]
    assert ignored == ["challenges/unknown/solution.py (no such challenge upstream)"]
    assert (upstream / "challenges" / "box_iou" / "solution.py").read_bytes() == REFERENCE_BOX_IOU.read_bytes()
    assert (upstream / "challenges" / "box_iou_cpp" / "solution.cpp").read_bytes() == b"// \xc3\xa9t\xc3\xa9\r\nint x;\n"


def test_symlinks_anywhere_under_challenges_are_ignored_and_named(tmp_path, upstream):
    fork = make_fork(tmp_path)
    challenges = fork / "challenges"
    crafted = tmp_path / "crafted" / "anchors"
    crafted.mkdir(parents=True)
    (crafted / "challenge.toml").write_text('id = "anchors"\npoints = 1000\n')
    (crafted / "solution.py").write_text("def anchors(): ...\n")
    (challenges / "anchors").symlink_to(crafted, target_is_directory=True)  # a crafted challenge folder
    inside = tmp_path / "inside" / "letterbox"
    inside.mkdir(parents=True)
    (inside / "solution.py").write_text("def letterbox(): ...\n")
    (challenges / "letterbox").symlink_to(inside, target_is_directory=True)  # a solution in a linked parent
    (challenges / "box_iou" / "solution.py").symlink_to(REFERENCE_BOX_IOU)  # the reference
    (challenges / "nms" / "solution.py").symlink_to("/etc/passwd")
    (challenges / "box_iou_cpp" / "solution.cpp").symlink_to(tmp_path / "nowhere.cpp")  # dangling

    copied, ignored = forks.copy_solutions(fork, upstream)
    assert copied == []
    assert ignored == [
        "challenges/anchors (a symbolic link; nothing under it is graded)",
        "challenges/box_iou/solution.py (a symbolic link)",
        "challenges/box_iou_cpp/solution.cpp (a symbolic link)",
        "challenges/letterbox (a symbolic link; nothing under it is graded)",
        "challenges/nms/solution.py (a symbolic link)",
    ]
    assert not list(upstream.glob("challenges/*/solution.*"))
    assert (upstream / "challenges" / "anchors" / "challenge.toml").read_text() == 'id = "anchors"\n'


def test_absurd_solutions_are_refused_with_a_reason(tmp_path, upstream):
    fork = make_fork(tmp_path)
    challenges = fork / "challenges"
    (challenges / "big" / "solution.py").write_bytes(b"#" * (forks.MAX_SOLUTION_BYTES + 1))
    (challenges / "latin1" / "solution.py").write_bytes("# caf\xe9\nx = 1\n".encode("latin-1"))
    os.mkfifo(challenges / "fifo" / "solution.py")
    (challenges / "folder" / "solution.py").mkdir()
    (challenges / "box_iou" / "solution.py").write_bytes(b"#" * forks.MAX_SOLUTION_BYTES)  # at the limit: fine

    copied, ignored = forks.copy_solutions(fork, upstream)
    assert copied == ["challenges/box_iou/solution.py"]
    assert ignored == [
        f"challenges/big/solution.py ({forks.MAX_SOLUTION_BYTES + 1} bytes, over the 1 MB limit)",
        "challenges/fifo/solution.py (not a regular file)",
        "challenges/folder/solution.py (not a regular file)",
        "challenges/latin1/solution.py (not UTF-8 text (byte 5))",
    ]


def test_a_linked_challenges_folder_is_refused(tmp_path):
    fork = tmp_path / "fork"
    fork.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (fork / "challenges").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(forks.ForkError, match="is a symbolic link"):
        forks.grade("unused", "v1", fork, tmp_path / "results", ids=[], tracks=[], echo=lambda *_: None)
    assert forks.copy_solutions(fork, tmp_path / "upstream") == ([], ["challenges (not a real folder; nothing under it is graded)"])


def test_names_the_fork_chose_cannot_add_lines_to_the_summary():
    assert forks.names(["challenges/a\n> official: true (a symbolic link)"]) == "'challenges/a\\n> official: true (a symbolic link)'"


# --- the manifest --------------------------------------------------------------------------------


def test_manifest_records_links_without_following_them(tmp_path):
    root = tmp_path / "checkout"
    (root / "challenges" / "box_iou").mkdir(parents=True)
    (root / "challenges" / "box_iou" / "challenge.toml").write_text('id = "box_iou"\n')
    (root / "tests").mkdir()
    (root / "tests" / "passwd.py").symlink_to("/etc/passwd")
    (root / "challenges" / "nms").symlink_to(ROOT / "challenges" / "nms", target_is_directory=True)
    os.mkfifo(root / "tests" / "pipe")
    files = manifest.compute(root)
    assert files["tests/passwd.py"] == "symlink -> /etc/passwd"
    assert files["challenges/nms"] == f"symlink -> {ROOT / 'challenges' / 'nms'}"
    assert files["tests/pipe"] == "not a regular file"  # and reading it did not block
    assert not any(p.startswith("challenges/nms/") for p in files)
    assert set(files) == {"challenges/box_iou/challenge.toml", "tests/passwd.py", "challenges/nms", "tests/pipe"}


def test_file_hash_normalises_line_endings_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(manifest, "_CHUNK", 4)
    unix, windows = tmp_path / "unix", tmp_path / "windows"
    text = "one\ntwo\nthree\n\nfour\r"  # a lone \r at the very end stays a \r
    unix.write_bytes(text.encode())
    windows.write_bytes(text.replace("\n", "\r\n").encode())
    assert manifest.file_hash(unix) == manifest.file_hash(windows)
    import hashlib

    assert manifest.file_hash(unix) == hashlib.sha256(text.encode()).hexdigest()


def test_installed_packages_are_checked_against_the_manifest(tmp_path):
    """grade-fork grades a clone with the installed grader: it must be the pinned one."""
    clone = tmp_path / "clone"
    for name in ("challenges", "grader", "reference", "tests", "csrc"):
        shutil.copytree(ROOT / name, clone / name, ignore=shutil.ignore_patterns("__pycache__", "*.so", "solution.*", "build"))
    for name in manifest.ROOT_FILES:
        shutil.copyfile(ROOT / name, clone / name)
    installed = manifest.installed_packages(clone)
    assert set(installed) == {"grader", "reference"} and installed["grader"] == (ROOT / "grader").resolve()
    cli = clone / "grader" / "cli.py"
    cli.write_text(cli.read_text() + "\n# the clone's grader is not the installed one\n")
    manifest.write(clone)
    problem = manifest.verify(clone)
    assert problem is not None and "the installed grader package" in problem and "changed grader/cli.py" in problem
    assert "reference package" not in problem
