"""Compiled tracks: compile errors point into the candidate's file, builds are cached by content
in scratch folders, a solution may include only system headers and cvg_kernel.h, CUDA challenges
compile here and are skipped only for want of a GPU."""

import importlib.util
import json
import os
import shutil
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from grader import build_cache, building, sandbox
from grader.availability import gpu_present
from grader.building import BuildError, build
from grader.catalog import load_catalog
from grader.running import grade_challenge

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "building"
CATALOG = {c.id: c for c in load_catalog(ROOT)}
needs_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not found")
RULE = "a solution may include only system headers and cvg_kernel.h"
JAILED = sandbox.probe().official and os.environ.get("CVG_SANDBOX", "on") != "off"
needs_jail = pytest.mark.skipif(not JAILED, reason="no Landlock here (or CVG_SANDBOX=off): builds run unconfined")


def unique(text: str) -> str:
    """The solution with a comment no other test (or earlier run) has built: a fresh build."""
    return text + f"\n// {uuid.uuid4().hex}\n"


def key_of(challenge, sources: dict[str, bytes]) -> str:
    """The build key ``build`` gives ``sources`` of ``challenge``."""
    return build_cache.build_key(building.module_name(challenge), challenge.track, sources, building._key_settings(challenge))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def builds(monkeypatch):
    """Counts the builds from scratch (cache misses)."""
    calls = []
    fresh = building._build_fresh

    def counted(*args, **kwargs):
        calls.append(args[4])  # the key
        return fresh(*args, **kwargs)

    monkeypatch.setattr(building, "_build_fresh", counted)
    return calls


def test_compile_error_names_the_candidates_file_and_line():
    result = grade_challenge(CATALOG["box_iou_cpp"], ROOT, FIXTURES / "syntax_error.cpp")
    assert result.status == "error"
    first = result.message.splitlines()[1]
    assert first.startswith(str(FIXTURES / "syntax_error.cpp") + ":6:"), result.message


def test_unchanged_solution_is_not_rebuilt(tmp_path):
    solution = tmp_path / "mine.cpp"
    shutil.copyfile(ROOT / "reference" / "examples" / "box_iou_cpp.cpp", solution)
    module = build(ROOT, CATALOG["box_iou_cpp"], solution)
    stamp = module.stat().st_mtime_ns
    assert build(ROOT, CATALOG["box_iou_cpp"], solution).stat().st_mtime_ns == stamp
    solution.write_text(solution.read_text() + "\n// edited\n")
    assert build(ROOT, CATALOG["box_iou_cpp"], solution).stat().st_mtime_ns != stamp


def test_stub_compiles_and_reads_not_started():
    result = grade_challenge(CATALOG["box_iou_cpp"], ROOT, CATALOG["box_iou_cpp"].stub_path)
    assert result.status == "not_started", result.message


@needs_nvcc
def test_cuda_compile_error_is_reported():
    result = grade_challenge(CATALOG["box_iou_cuda"], ROOT, FIXTURES / "syntax_error.cu")
    assert result.status == "error"
    assert "syntax_error.cu" in result.message.splitlines()[1], result.message


@needs_nvcc
@pytest.mark.skipif(gpu_present(), reason="checks the no-GPU verdict")
def test_cuda_solution_compiles_then_skips_without_gpu():
    result = grade_challenge(CATALOG["box_iou_cuda"], ROOT, ROOT / "reference" / "examples" / "box_iou_cuda.cu")
    assert result.status == "skipped" and "no GPU" in result.message


def _load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.name.split(".")[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_nvcc
@pytest.mark.skipif(gpu_present(), reason="checks what the bindings do before the first CUDA call, without a GPU")
def test_cuda_bindings_take_their_arguments_and_raise_python_errors_without_a_gpu():
    """The CPython glue of the three CUDA harnesses, run where no kernel can: the paths that return
    before any CUDA call, a launch failing as RuntimeError, a bad size as ValueError, the stub's
    NotImplementedError, and a wrong argument count as TypeError."""
    examples = {c: _load_module(build(ROOT, CATALOG[c], CATALOG[c].example_path(ROOT)))
                for c in ("box_iou_cuda", "nms_cuda", "clip_loss_cuda")}
    box_iou, nms, clip = examples["box_iou_cuda"], examples["nms_cuda"], examples["clip_loss_cuda"]
    assert box_iou.box_iou_f32(0, 0, 0, 0, 0, 0) is None and box_iou.box_iou_f64(0, 5, 0, 0, 0, 0) is None
    with pytest.raises(RuntimeError, match="box_iou_kernel launch failed: "):
        box_iou.box_iou_f32(0, 1, 0, 1, 0, 0)
    with pytest.raises(TypeError):
        box_iou.box_iou_f32(0, 1)
    assert nms.nms_f32(0, 0, 0.5, 0, 0) == [] and nms.nms_f64(0, 0, 0.5, 0, 0) == []
    with pytest.raises(RuntimeError, match="nms_mask_kernel launch failed: "):
        nms.nms_f32(0, 3, 0.5, 0, 0)
    with pytest.raises(ValueError, match="clip_lse_forward: expects n >= 0 and d >= 1"):
        clip.clip_lse_forward(0, 0, 2, 0, 1.0, 0, 0, 0)
    with pytest.raises(ValueError, match="clip_lse_backward: expects n >= 0 and d >= 1"):
        clip.clip_lse_backward(0, 0, -1, 4, 1.0, 0, 0, 1.0, 0, 0, 0)
    stub = _load_module(build(ROOT, CATALOG["box_iou_cuda"], CATALOG["box_iou_cuda"].stub_path))
    with pytest.raises(NotImplementedError, match="box_iou_kernel is not implemented yet"):
        stub.box_iou_f32(0, 1, 0, 1, 0, 0)


def test_build_error_when_harness_missing(tmp_path):
    broken = CATALOG["box_iou_cpp"].__class__(**{**CATALOG["box_iou_cpp"].__dict__, "folder": tmp_path})
    with pytest.raises(BuildError):
        build(ROOT, broken, ROOT / "reference" / "examples" / "box_iou_cpp.cpp")


def test_replaying_speed_runs_the_properties_then_the_measurement():
    """A failed speed test's replay command says --only speed; it must measure, not refuse."""
    result = grade_challenge(CATALOG["box_iou_cpp"], ROOT, ROOT / "reference" / "examples" / "box_iou_cpp.cpp",
                             only=["speed"], seed=1)
    names = [t.name for t in result.tests]
    assert result.status == "passed" and names[-1] == "speed" and "matches_reference" in names, names


# --- what a solution may include -------------------------------------------------------------------


@pytest.mark.parametrize("include", [
    '"../../../../../reference/examples/nms_cpp.cpp"',  # from the scratch src/ up to the project
    f'"{ROOT}/reference/examples/nms_cpp.cpp"',
    f"<{ROOT}/reference/examples/nms_cpp.cpp>",
])
def test_including_the_reference_is_refused_naming_the_line(tmp_path, include):
    solution = write(tmp_path, "mine.cpp", f'#include "cvg_kernel.h"\n\n#include {include}\n')
    with pytest.raises(BuildError) as error:
        build(ROOT, CATALOG["nms_cpp"], solution)
    reference = ROOT / "reference" / "examples" / "nms_cpp.cpp"
    assert str(error.value) == f"{solution}:3 includes {reference}: {RULE}"


@pytest.mark.parametrize("guarded", [False, True])
def test_include_built_by_macros_is_refused(tmp_path, guarded):
    solution = write(tmp_path, "mine.cpp", f"""#include "cvg_kernel.h"
#define STR(x) #x
#define XSTR(x) STR(x)
#define HOME {ROOT}
#define PATH(file) XSTR(HOME/csrc/file)
#if {"__has_include(PATH(nms.cpp))" if guarded else "1"}
#include PATH(nms.cpp)
#endif
""")
    with pytest.raises(BuildError) as error:
        build(ROOT, CATALOG["nms_cpp"], solution)
    if guarded and JAILED:  # __has_include cannot open the file either, and gcc names no line for it
        assert str(error.value) == f"{solution} includes {ROOT / 'csrc' / 'nms.cpp'}: {RULE}"
    else:
        assert f"{solution}:7 includes {ROOT / 'csrc' / 'nms.cpp'}: {RULE}" in str(error.value)


def test_project_files_are_not_on_the_include_path(tmp_path):
    """What a solution found next to it in its challenge folder, or through -I templates/, is gone."""
    solution = write(tmp_path, "mine.cpp", '#include "cvg_kernel.h"\n#include "../../csrc/nms.cpp"\n')
    with pytest.raises(BuildError) as error:
        build(ROOT, CATALOG["nms_cpp"], solution)
    assert f"{solution}:2: error: ../../csrc/nms.cpp: No such file" in str(error.value)
    assert RULE in str(error.value)


def test_including_a_device_fails_fast(tmp_path):
    solution = write(tmp_path, "mine.cpp", unique('#include "cvg_kernel.h"\n#include "/dev/zero"\n'))
    started = time.monotonic()
    with pytest.raises(BuildError) as error:
        build(ROOT, CATALOG["nms_cpp"], solution)
    assert time.monotonic() - started < 60 and RULE in str(error.value)
    stdin = write(tmp_path, "stdin.cpp", '#include "cvg_kernel.h"\n#include "/dev/stdin"\n')
    with pytest.raises(BuildError, match=f"stdin.cpp:2 includes /dev/stdin: {RULE}"):
        build(ROOT, CATALOG["nms_cpp"], stdin)


def test_including_a_pipe_times_out_instead_of_hanging(tmp_path, monkeypatch):
    """Unconfined (no Landlock), the preprocessor would wait on the pipe: the check's timeout ends it."""
    monkeypatch.setenv("CVG_SANDBOX", "off")
    monkeypatch.setattr(building, "CHECK_TIMEOUT_S", 3)
    os.mkfifo(tmp_path / "pipe")
    solution = write(tmp_path, "mine.cpp", unique(f'#include "cvg_kernel.h"\n#include "{tmp_path / "pipe"}"\n'))
    started = time.monotonic()
    with pytest.raises(BuildError, match="did not finish within 3 s"):
        build(ROOT, CATALOG["nms_cpp"], solution)
    assert time.monotonic() - started < 60


@needs_jail
def test_jailed_preprocessor_cannot_open_a_pipe_outside_the_build(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    solution = write(tmp_path, "mine.cpp", unique(f'#include "cvg_kernel.h"\n#include "{tmp_path / "pipe"}"\n'))
    started = time.monotonic()
    with pytest.raises(BuildError) as error:
        build(ROOT, CATALOG["nms_cpp"], solution)
    assert str(error.value) == f"{solution}:2 includes {tmp_path / 'pipe'}: {RULE}"
    assert time.monotonic() - started < 60


@needs_nvcc
def test_cuda_solution_including_the_reference_is_refused(tmp_path):
    reference = ROOT / "reference" / "examples" / "box_iou_cuda.cu"
    solution = write(tmp_path, "mine.cu", f'#include "cvg_kernel.h"\n#include "{reference}"\n')
    with pytest.raises(BuildError) as error:
        build(ROOT, CATALOG["box_iou_cuda"], solution)
    assert str(error.value) == f"{solution}:2 includes {reference}: {RULE}"


def test_depfile_parsing_keeps_escaped_spaces():
    text = "harness.o: /usr/include/a\\ b.h \\\n /usr/include/c.h src/x\\#y.h $$HOME.h\n"
    assert building.parse_depfile(text) == ["/usr/include/a b.h", "/usr/include/c.h", "src/x#y.h", "$HOME.h"]


def test_the_linkers_dependency_file_is_not_read_as_includes_but_a_compilers_is(tmp_path):
    # CMake 4 with binutils >= 2.41 has the linker write link.d (first seen on the GPU machine):
    # the C runtime and libraries there are not includes, and refusing them failed every build.
    challenge = CATALOG["box_iou_cuda"]
    solution = write(tmp_path, "mine.cu", "")
    names = building._Names(tmp_path / "src", challenge, solution)
    target = tmp_path / "build" / "CMakeFiles" / "cvg_box_iou_cuda.dir"
    target.mkdir(parents=True)
    (target / building.LINKER_DEPFILE).write_text(
        f"cvg_box_iou_cuda.so: /lib/x86_64-linux-gnu/crti.o {target}/harness.cu.o /lib/x86_64-linux-gnu/libc.so.6\n")
    building._check_depfiles(tmp_path / "build", names, ROOT, challenge)
    (target / "harness.cu.o.d").write_text(f"harness.cu.o: {ROOT / 'reference' / 'examples' / 'box_iou_cuda.cu'}\n")
    with pytest.raises(BuildError, match=RULE):
        building._check_depfiles(tmp_path / "build", names, ROOT, challenge)


# --- what the build's tools may read: the assembler's .incbin -----------------------------------------


KERNEL = """
template <typename T>
void box_iou_kernel(const T* boxes1, int64_t n, const T* boxes2, int64_t m, T* out) {
  for (int64_t i = 0; i < n * m; ++i) out[i] = T(0);
}
"""


def incbin(path: Path) -> str:
    """A solution that embeds ``path`` in its module with the assembler (the preprocessor never sees it)."""
    return unique('#include <cstdint>\n#include "cvg_kernel.h"\n'
                  f'asm(".section .rodata\\n.global cvg_blob\\ncvg_blob:\\n.incbin \\"{path}\\"\\n.text\\n");\n' + KERNEL)


def modules_holding(data: bytes) -> list[Path]:
    cache = ROOT / ".grader" / "build"
    return [p for p in cache.rglob("*.so") if p.is_file() and data in p.read_bytes()] if cache.is_dir() else []


@needs_jail
@pytest.mark.parametrize("target", ["reference/examples/box_iou_cpp.cpp", "grader/building.py", ".git/HEAD"])
def test_assembler_cannot_embed_a_project_file(tmp_path, target):
    secret = ROOT / target
    if not secret.is_file():
        pytest.skip(f"no {target} in this checkout")
    solution = write(tmp_path, "mine.cpp", incbin(secret))
    challenge = CATALOG["box_iou_cpp"]
    key = key_of(challenge, {"solution.cpp": solution.read_bytes(),
                             "harness.cpp": building.harness_path(challenge).read_bytes(),
                             "cvg_kernel.h": (building.TEMPLATES / "cvg_kernel.h").read_bytes()})
    with pytest.raises(BuildError) as error:
        build(ROOT, challenge, solution)
    message = str(error.value)
    assert message.startswith("compile error:\n") and f"{solution}: error: in an asm statement" in message, message
    assert str(secret) in message and "file not found" in message, message
    folder = ROOT / ".grader" / "build" / challenge.id / key
    assert not folder.exists() or not [p for p in folder.rglob("*") if p.is_file() and secret.read_bytes() in p.read_bytes()]


@needs_jail
def test_assembler_cannot_embed_a_file_outside_the_build(tmp_path):
    """Anything beyond the toolchain and the build's own folder: here a file next to the solution."""
    marker = f"cvg-outside-{uuid.uuid4().hex}".encode()
    outside = tmp_path / "elsewhere" / "secret.bin"
    outside.parent.mkdir()
    outside.write_bytes(marker * 4)
    solution = write(tmp_path, "mine.cpp", incbin(outside))
    with pytest.raises(BuildError) as error:
        build(ROOT, CATALOG["box_iou_cpp"], solution)
    message = str(error.value)
    assert message.startswith("compile error:\n") and f"{solution}: error: in an asm statement" in message, message
    assert f"file not found: {outside}" in message, message
    assert modules_holding(marker) == []


@needs_jail
def test_assembler_cannot_embed_the_build_secret(tmp_path):
    build_cache._secret()  # make sure it exists
    secret = build_cache.secret_path()
    if not secret.is_file():
        pytest.skip("no build secret on disk here (no writable cache folder)")
    solution = write(tmp_path, "mine.cpp", incbin(secret))
    with pytest.raises(BuildError, match="file not found"):
        build(ROOT, CATALOG["box_iou_cpp"], solution)


def test_assembler_may_embed_a_system_file(tmp_path):
    """The jail is not a blanket refusal of .incbin: a system file is as readable as a system header."""
    solution = write(tmp_path, "mine.cpp", incbin(Path("/usr/include/stdio.h")))
    module = build(ROOT, CATALOG["box_iou_cpp"], solution)
    assert Path("/usr/include/stdio.h").read_bytes()[:200] in module.read_bytes()


def test_the_jail_grants_nothing_of_the_project():
    """No read or execute grant lies inside the checkout, the installed reference or the build
    secret's folder, or holds one of them (a folder that does is granted child by child)."""
    hidden = [os.path.realpath(p) for p in building._project_paths(str(ROOT))]
    assert os.path.realpath(ROOT) in hidden and str(build_cache.secret_path().parent) in hidden
    read, execute = building._tool_grants(os.path.realpath(ROOT), "cuda")
    # The interpreter's own trees are granted even inside a checkout that holds its venv.
    venvs = [p for p in {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
             if building._under(p, os.path.realpath(ROOT))]
    for grant in (*read, *execute):
        path = grant.removeprefix(sandbox.LIST_ONLY)
        for item in hidden:
            if item == os.path.realpath(ROOT) and any(building._under(path, venv) for venv in venvs):
                continue
            assert not building._under(path, item), (grant, item)
            assert grant.startswith(sandbox.LIST_ONLY) or not building._under(item, path), (grant, item)


@needs_jail
def test_jailed_tool_cannot_read_the_project_or_write_outside(tmp_path):
    """The launcher itself: a command run through it reads the toolchain, not the project, and
    writes only its folder."""
    challenge = CATALOG["box_iou_cpp"]
    folder = tmp_path / "key"
    (folder / "build").mkdir(parents=True)
    (folder / "tmp").mkdir()
    jail = building._jail(ROOT, challenge, folder)
    assert jail, "the sandbox is available but the build is not confined"
    script = (f"cat /usr/include/stdio.h >/dev/null && echo read-usr; cat {ROOT}/pyproject.toml {ROOT}/README.md 2>/dev/null || echo no-project;"
              f" echo x > {folder}/build/ok && echo wrote-build; echo x > {tmp_path}/outside 2>/dev/null || echo no-outside")
    done = building._run(["/bin/sh", "-c", script], folder, timeout=60, jail=jail)
    assert done.stdout.split() == ["read-usr", "no-project", "wrote-build", "no-outside"], (done.stdout, done.stderr)


@needs_nvcc
def test_cuda_solution_builds_in_the_jail(tmp_path):
    """nvcc (its own tree, cudafe++, ptxas, the host compiler) works confined; and cannot .incbin the reference."""
    reference = ROOT / "reference" / "examples" / "box_iou_cuda.cu"
    solution = write(tmp_path, "mine.cu", unique(reference.read_text()))
    assert build(ROOT, CATALOG["box_iou_cuda"], solution).is_file()
    if JAILED:
        attack = write(tmp_path, "attack.cu", unique(reference.read_text()) + (
            f'asm(".section .rodata\\n.incbin \\"{reference}\\"\\n.text\\n");\n'))
        with pytest.raises(BuildError, match="file not found"):
            build(ROOT, CATALOG["box_iou_cuda"], attack)


# --- compile errors in the scratch copy --------------------------------------------------------------


def test_missing_brace_points_into_the_candidates_file(tmp_path):
    """gcc reports a missing } at the end of the harness; its note points at the candidate's {."""
    solution = write(tmp_path, "mine.cpp", unique((ROOT / "tests/solutions/box_iou_cpp/textbook.cpp").read_text().rstrip()[:-1]))
    with pytest.raises(BuildError) as error:
        build(ROOT, CATALOG["box_iou_cpp"], solution)
    lines = str(error.value).splitlines()
    assert "scratch" not in str(error.value) and ".grader" not in str(error.value), error.value
    # The first line says where to look: the error is reported in the harness, but starts in the kernel.
    assert "Start at the note's line in your file" in lines[1], error.value
    assert lines[2].startswith(str(CATALOG["box_iou_cpp"].folder / "harness.cpp")) and "expected" in lines[2], error.value
    assert lines[3].startswith(f"  {solution}:7: note: to match this"), error.value


# --- the cache -------------------------------------------------------------------------------------------


def test_key_follows_the_content_not_the_path(tmp_path):
    challenge = CATALOG["box_iou_cpp"]
    sources = {"solution.cpp": b"int x;", "harness.cpp": b"h", "cvg_kernel.h": b"k"}
    key = key_of(challenge, sources)
    assert key_of(challenge, dict(sources)) == key
    assert key_of(challenge, {**sources, "solution.cpp": b"int x; "}) != key
    assert key_of(challenge, {**sources, "harness.cpp": b"h2"}) != key
    assert key_of(CATALOG["nms_cpp"], sources) != key
    first, second = write(tmp_path, "a.cpp", "x"), write(tmp_path, "b.cpp", "x")
    assert key_of(challenge, {"solution.cpp": first.read_bytes()}) == key_of(challenge, {"solution.cpp": second.read_bytes()})


def test_concurrent_builds_of_the_same_content_build_once(tmp_path, builds):
    solution = write(tmp_path, "mine.cpp", unique((ROOT / "tests/solutions/nms_cpp/textbook.cpp").read_text()))
    barrier, results = threading.Barrier(2), []

    def run():
        barrier.wait()
        try:
            results.append(build(ROOT, CATALOG["nms_cpp"], solution))
        except Exception as exc:  # noqa: BLE001 - reported by the assert below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert len(results) == 2 and all(isinstance(r, Path) for r in results), results
    assert results[0] == results[1] and results[0].is_file()
    assert len(builds) == 1


def test_locks_are_per_key(tmp_path):
    with build_cache.locked(tmp_path / "a.lock") as held:
        assert held
        with build_cache.locked(tmp_path / "b.lock", blocking=False) as other:
            assert other
        with build_cache.locked(tmp_path / "a.lock", blocking=False) as same:
            assert not same


def test_tampered_build_is_rebuilt(tmp_path, builds):
    solution = write(tmp_path, "mine.cpp", unique((ROOT / "tests/solutions/box_iou_cpp/textbook.cpp").read_text()))
    challenge = CATALOG["box_iou_cpp"]
    module = build(ROOT, challenge, solution)
    folder = module.parent
    assert folder.parent == ROOT / ".grader" / "build" / "box_iou_cpp" and (folder / "done").is_file()
    assert (folder / "src" / "solution.cpp").read_bytes() == solution.read_bytes()
    assert build(ROOT, challenge, solution) == module and len(builds) == 1

    (folder / "done").unlink()  # an interrupted build
    assert build(ROOT, challenge, solution) == module and len(builds) == 2

    key = folder.name
    assert build_cache.cached_module(folder, key) == module
    built = module.read_bytes()
    module.write_bytes(b"not the module that was built")  # replaced, marker kept
    assert build_cache.cached_module(folder, key) is None
    module.write_bytes(built + b"planted")  # replaced, and the marker's hash rewritten to match
    mark = json.loads((folder / "done").read_text())
    mark["sha256"] = build_cache._sha256(module)
    (folder / "done").write_text(json.dumps(mark))
    assert build_cache.cached_module(folder, key) is None
    assert build(ROOT, challenge, solution) == module and len(builds) == 3
    assert not module.read_bytes().endswith(b"planted") and build_cache.cached_module(folder, key) == module


def test_old_builds_are_pruned(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    for i in range(7):
        (cache / f"k{i}").mkdir()
        (cache / f"k{i}" / "done").write_text("{}")
        os.utime(cache / f"k{i}" / "done", (1000 + i, 1000 + i))
    (cache / "orphan.lock").touch()
    os.utime(cache / "orphan.lock", (10, 10))
    for name, used in (("recipe-stale", 500), ("recipe-current", 1)):
        (cache / name).mkdir()
        (cache / name / build_cache.RECIPE).write_text("{}")
        os.utime(cache / name / build_cache.RECIPE, (used, used))
    with build_cache.locked(cache / "k0.lock"):  # in use: kept whatever its age
        build_cache.prune(cache, keep={"k6", "recipe-current"})
    left = sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock"))
    assert left == ["k0", "k3", "k4", "k5", "k6", "recipe-current"]
    assert not (cache / "orphan.lock").exists()


# --- the recipe: CMake configures once per challenge and toolchain -----------------------------------


@pytest.fixture
def commands(monkeypatch):
    """The commands the builds run (the tools, without the jail's launcher)."""
    calls = []
    run = building._run

    def recorded(command, *args, **kwargs):
        calls.append(command)
        return run(command, *args, **kwargs)

    monkeypatch.setattr(building, "_run", recorded)
    return calls


def cmake_runs(calls: list[list[str]]) -> list[list[str]]:
    return [c for c in calls if Path(c[0]).name == "cmake"]


def configures(calls: list[list[str]]) -> list[list[str]]:
    return [c for c in cmake_runs(calls) if "-S" in c]


def recipe_mark(root: Path, challenge: str) -> Path:
    [mark] = (root / ".grader" / "build" / challenge).glob(f"recipe-*/{build_cache.RECIPE}")
    return mark


def loaded_copy(module: Path, tmp_path: Path):
    """The built module, loaded from a copy: the cache's file may be replaced."""
    copy = tmp_path / "loaded" / module.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(module, copy)
    return _load_module(copy)


def box_iou_of(module: Path, tmp_path: Path) -> list[float]:
    """What the built box_iou_cpp module computes for one box against two."""
    import numpy as np

    boxes1, boxes2 = np.array([[0.0, 0, 2, 2]]), np.array([[1.0, 1, 3, 3], [0, 0, 2, 2]])
    out = np.zeros((1, 2))
    loaded_copy(module, tmp_path).box_iou(boxes1.ctypes.data, 1, boxes2.ctypes.data, 2, out.ctypes.data, True)
    return out[0].tolist()


@pytest.mark.parametrize("challenge", ["box_iou_cpp", pytest.param("box_iou_cuda", marks=needs_nvcc)])
def test_a_second_solution_is_built_without_configuring(tmp_path, commands, challenge):
    """The first build configures once, for the recipe, on no candidate's code; the next solution's
    build runs the compile and link commands CMake generated, with no CMake at all."""
    root = tmp_path / "root"
    example = CATALOG[challenge].example_path(ROOT)
    first = build(root, CATALOG[challenge], write(tmp_path, f"first{example.suffix}", unique(example.read_text())))
    [configure] = configures(commands)
    assert f"-DCVG_SOLUTION={recipe_mark(root, challenge).parent}/src/solution{example.suffix}" in configure
    assert sorted(p.name for p in recipe_mark(root, challenge).parent.iterdir()) == [build_cache.RECIPE]
    commands.clear()
    second = build(root, CATALOG[challenge], write(tmp_path, f"second{example.suffix}", unique(example.read_text())))
    assert second != first and second.is_file() and cmake_runs(commands) == [], commands
    if challenge == "box_iou_cpp":
        assert box_iou_of(second, tmp_path) == pytest.approx([1 / 7, 1.0])
    else:
        assert callable(loaded_copy(second, tmp_path).box_iou_f32)


@pytest.mark.parametrize("tamper", ["include_path", "compiler", "truncated"])
def test_a_tampered_recipe_is_made_again_not_used(tmp_path, commands, tamper):
    """A fork can commit .grader/: a recipe whose HMAC does not match is configured anew."""
    root, challenge = tmp_path / "root", CATALOG["box_iou_cpp"]
    example = challenge.example_path(ROOT).read_text()
    build(root, challenge, write(tmp_path, "first.cpp", unique(example)))
    mark = recipe_mark(root, "box_iou_cpp")
    made = mark.read_text()
    planted = json.loads(made)
    if tamper == "include_path":
        planted["recipe"]["compile"].insert(1, "-I/")
    elif tamper == "compiler":
        planted["recipe"]["compile"][0] = "/bin/true"
    mark.write_text(made[:-20] if tamper == "truncated" else json.dumps(planted))
    commands.clear()
    second = build(root, challenge, write(tmp_path, "second.cpp", unique(example)))
    assert len(configures(commands)) == 1 and not [c for c in commands if "-I/" in c or c[0] == "/bin/true"], commands
    assert box_iou_of(second, tmp_path) == pytest.approx([1 / 7, 1.0])
    assert json.loads(mark.read_text())["recipe"] == json.loads(made)["recipe"]


def test_a_recipe_build_writes_the_dependency_file_that_is_checked(tmp_path, commands, monkeypatch):
    """Without the preprocessor's check, and unconfined (so the compile can read the reference),
    the compiler's own dependency file still shows the include, and the build is refused."""
    monkeypatch.setenv("CVG_SANDBOX", "off")
    root, challenge = tmp_path / "root", CATALOG["nms_cpp"]
    build(root, challenge, write(tmp_path, "first.cpp", unique(challenge.example_path(ROOT).read_text())))
    monkeypatch.setattr(building, "_check_includes", lambda *args, **kwargs: None)
    commands.clear()
    reference = ROOT / "reference" / "examples" / "nms_cpp.cpp"
    solution = write(tmp_path, "mine.cpp", unique(f'#include "{reference}"\n'))
    with pytest.raises(BuildError) as error:
        build(root, challenge, solution)
    assert f"{solution} includes {reference}: {RULE}" in str(error.value).splitlines(), error.value
    assert cmake_runs(commands) == [] and [c for c in commands if "-MF" in c], commands


@pytest.fixture
def ninja(monkeypatch):
    """CMAKE_GENERATOR=Ninja, with the toolchain (which holds it) read again before and after."""
    if shutil.which("ninja") is None:
        pytest.skip("ninja not found")
    monkeypatch.setenv("CMAKE_GENERATOR", "Ninja")
    build_cache._toolchain.cache_clear()
    yield
    build_cache._toolchain.cache_clear()


def test_a_build_the_recipe_cannot_replay_is_configured_every_time(tmp_path, commands, ninja):
    """With another generator than Makefiles there are no commands to extract: the recipe says so,
    and every build configures and builds with CMake as before."""
    root, challenge = tmp_path / "root", CATALOG["box_iou_cpp"]
    example = challenge.example_path(ROOT).read_text()
    build(root, challenge, write(tmp_path, "first.cpp", unique(example)))
    assert json.loads(recipe_mark(root, "box_iou_cpp").read_text())["recipe"] == {}
    commands.clear()
    second = build(root, challenge, write(tmp_path, "second.cpp", unique(example)))
    assert len(configures(commands)) == 1 and len(cmake_runs(commands)) == 2, commands
    assert box_iou_of(second, tmp_path) == pytest.approx([1 / 7, 1.0])


# --- what a fork can commit under .grader/ ---------------------------------------------------------------


@pytest.mark.parametrize("linked", [".grader", ".grader/build", ".grader/build/box_iou_cpp"])
def test_a_linked_cache_folder_is_replaced_and_pruning_deletes_nothing_outside(tmp_path, linked):
    """Pruning deletes all but the most recent builds of the challenge's cache folder: had it
    followed a link committed in a fork, it would delete old folders wherever the link pointed."""
    root, challenge = tmp_path / "root", CATALOG["box_iou_cpp"]
    outside = tmp_path / "outside"
    beneath = outside.joinpath(*Path(".grader/build/box_iou_cpp").parts[len(Path(linked).parts):])
    for i in range(6):
        (beneath / f"project{i}").mkdir(parents=True)
        os.utime(beneath / f"project{i}", (1000 + i, 1000 + i))
    (root / linked).parent.mkdir(parents=True, exist_ok=True)
    (root / linked).symlink_to(outside, target_is_directory=True)
    module = build(root, challenge, write(tmp_path, "mine.cpp", unique(challenge.example_path(ROOT).read_text())))
    assert sorted(p.name for p in beneath.iterdir()) == [f"project{i}" for i in range(6)]
    assert not (root / linked).is_symlink() and module.resolve().is_relative_to(root.resolve())
    assert box_iou_of(module, tmp_path) == pytest.approx([1 / 7, 1.0])


@pytest.mark.parametrize("plant", ["done_to_dev_zero", "recipe_to_dev_zero", "recipe_fifo", "lock_folder"])
def test_a_planted_mark_or_lock_is_replaced_without_hanging(tmp_path, plant):
    """A mark that is a link to /dev/zero would be read until memory runs out, a FIFO forever; a
    folder where a lock goes failed every build with IsADirectoryError."""
    root, challenge = tmp_path / "root", CATALOG["box_iou_cpp"]
    example = challenge.example_path(ROOT).read_text()
    solution = write(tmp_path, "mine.cpp", unique(example))
    first = build(root, challenge, solution)
    recipe = recipe_mark(root, "box_iou_cpp")
    if plant == "done_to_dev_zero":
        (first.parent / "done").unlink()
        (first.parent / "done").symlink_to("/dev/zero")
    else:  # the recipe's, read by the next solution's build
        if plant == "lock_folder":
            (recipe.parent.parent / f"{recipe.parent.name}.lock").unlink(missing_ok=True)
            (recipe.parent.parent / f"{recipe.parent.name}.lock").mkdir()
        elif plant == "recipe_fifo":
            recipe.unlink()
            os.mkfifo(recipe)
        else:
            recipe.unlink()
            recipe.symlink_to("/dev/zero")
        solution = write(tmp_path, "other.cpp", unique(example))
    started = time.monotonic()
    module = build(root, challenge, solution)
    assert time.monotonic() - started < 60 and box_iou_of(module, tmp_path) == pytest.approx([1 / 7, 1.0])
