"""Compiling C++ and CUDA solutions with the project's CMake toolchain.

A candidate writes only the kernel; the challenge's ``harness.cpp`` / ``harness.cu`` holds the
bindings and the launch and ``#include``s the candidate's file.

Each build happens in a scratch folder ``.grader/build/<challenge id>/<key>``, in the build cache
(``grader/build_cache.py``: the keys, and which builds are kept and trusted). The folder holds
copies ``src/solution.<ext>``, ``src/harness.<ext>``, ``src/cvg_kernel.h`` and
``src/cvg_python.h`` (the harnesses' CPython glue), and the include path is that ``src/`` plus
the system, Python and pybind11 headers, nothing of the project's. Before compiling, the
preprocessor lists the files the build would read (``-M``, with the exact compile command, a short
timeout and a memory cap); anything outside the system headers and those copies is refused,
naming the line that includes it. The compiler's own dependency files are checked again
afterwards.

CMake configures once per recipe, not once per build. The recipe key is the build key without
the sources, whose bytes configuring never reads. In ``.grader/build/<challenge id>/recipe-<recipe
key>`` CMake configures on the harness, the headers and an empty solution, and ``recipe.json``
keeps the commands its Makefiles would run: the harness's compile (compile_commands.json's, plus
the flags that write the dependency file), the link step(s) and their response files, with that
folder's path as a placeholder. A build lays them out in its own folder, the compile command as
``build/compile_commands.json``, and runs them. Where they cannot be extracted (another generator,
such as CMAKE_GENERATOR=Ninja, or an unexpected layout) the recipe says so, and every build
configures and builds with CMake.

The include check sees only what the preprocessor reads; the assembler (``asm(".incbin ...")``,
``.include``) and the tools' other inputs it does not. So every tool a build runs (CMake's
configure and build, or the recipe's compile and link, and the preprocessor runs) runs in a jail
(Landlock, through ``grader/confined_exec.py``): it reads the toolchain (system folders, the
interpreter, pybind11's and CUDA's headers) and the build's own folder, writes only that folder's
``build/`` and ``tmp/`` (its TMPDIR and HOME), runs only the toolchain, and reaches no network.
The project (the checkout, other builds, the installed reference) and the build cache's secret are
out of its reach; a file the jail hides fails to open, and an include of one is refused like any
other. Without Landlock (or with ``CVG_SANDBOX=off``) the tools run unconfined, and the run is
unofficial.

Compiler errors are reported in the candidate's own file, first error first.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.machinery
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

from grader import build_cache, state
from grader.catalog import Challenge

TEMPLATES = Path(__file__).parent / "templates"
ERROR_LINE = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+)(?::(?P<col>\d+))?:\s*(?:fatal )?error:?\s*(?P<msg>.*)$")
NOTE_LINE = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+)(?::(?P<col>\d+))?:\s*note:\s*(?P<msg>.*)$")
NVCC_ERROR = re.compile(r"^(?P<file>[^(\s]+)\((?P<line>\d+)\): error:?\s*(?P<msg>.*)$")
# A file the build's jail hides, as the preprocessor reports it: at the #include's line, or (from
# __has_include) with the program's name for a location.
DENIED_INCLUDE = re.compile(r"^(?:(?P<file>[^:\s][^:]*):(?P<line>\d+)(?::\d+)?|[\w.+-]+):\s*fatal error:\s*(?P<name>.+): Permission denied$")
ASM_ERROR = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+): Error: (?P<msg>.*)$")  # GNU as, on the compiler's .s
LINE_MARKER = re.compile(r'^#\s*(?P<line>\d+)\s+"(?P<file>(?:[^"\\]|\\.)*)"(?P<flags>(?:\s+\d)*)\s*$')
MAX_ERRORS = 8
BUILD_TIMEOUT_S = 600
CHECK_TIMEOUT_S = 30  # the preprocessor alone: a second or two, unless it reads a device or a pipe
CHECK_MEMORY_BYTES = 1 << 30  # the preprocessor needs tens of MB
INCLUDE_RULE = "a solution may include only system headers and cvg_kernel.h"
HEADERS = ("cvg_kernel.h", "cvg_python.h")  # grader/templates/ headers copied into every build's src/
LINKER_DEPFILE = "link.d"  # CMake's name for the dependency file the linker writes


class BuildError(Exception):
    pass


def harness_path(challenge: Challenge) -> Path:
    return challenge.folder / ("harness.cu" if challenge.track == "cuda" else "harness.cpp")


def module_name(challenge: Challenge) -> str:
    return f"cvg_{challenge.id}"


def _extension(challenge: Challenge) -> str:
    return ".cu" if challenge.track == "cuda" else ".cpp"


# --- running tools ------------------------------------------------------------------------------------

SANDBOX_ENV = "CVG_SANDBOX"  # "off": builds (like boxes) run unconfined; the run is then unofficial
LAUNCHER = Path(__file__).with_name("confined_exec.py")
BUILD_FILE_SIZE_MB = 512  # per file a tool writes: object files, the module, CUDA's fatbinaries
BUILD_OPEN_FILES = 1024
# Folders that hold the toolchain: compilers, assembler, linker, make, sh, CMake and its modules.
# (Of /etc, gcc, CMake and nvcc need nothing beyond what an interpreter reads: grader.sandbox.)
TOOL_TREES = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt")


def _sandbox_on() -> bool:
    return os.environ.get(SANDBOX_ENV, "on") != "off" and _sandbox_works()


@functools.lru_cache(maxsize=None)
def _sandbox_works() -> bool:
    from grader import sandbox

    return sandbox.probe().official


def _project_paths(root: str) -> list[str]:
    """What of the project a build must not read: what no box may read (grader.sandbox), and the
    folder of the key that marks finished builds."""
    from grader import sandbox

    return [*sandbox.project_paths(root), str(build_cache.secret_path().parent)]


def _beneath(paths: list[str], hidden: list[str]) -> list[str]:
    """``paths`` (resolved, existing) minus the ``hidden`` trees: a folder holding one is replaced by
    its children, recursively, so that a grant on it cannot reach the hidden item."""
    hidden = [os.path.realpath(h) for h in hidden]
    out: list[str] = []

    def add(path: str) -> None:
        if not os.path.exists(path) or any(_under(path, h) for h in hidden):
            return
        if os.path.isdir(path) and any(_under(h, path) for h in hidden):
            for name in sorted(os.listdir(path)):
                add(os.path.join(path, name))
        else:
            out.append(path)

    for path in dict.fromkeys(os.path.realpath(p) for p in paths if p):
        add(path)
    return out


def _tool_dirs(track: str) -> list[str]:
    """Where the build's programs are: CMake (a pip-installed one runs its binary from
    site-packages), the generator, the compilers, CUDA (Python's are ``_python_bins``)."""
    dirs = list(TOOL_TREES)
    names = ["cmake", "make", "ninja", os.environ.get("CXX") or "c++", os.environ.get("CUDAHOSTCXX") or "g++"]
    if track == "cuda":
        names.append(os.environ.get("CUDACXX") or "nvcc")
        dirs += _glob("/usr/local/cuda*")
    for name in names:
        path = shutil.which(name)
        if path:
            dirs += [os.path.dirname(path), os.path.dirname(os.path.realpath(path))]
    for package in ("cmake", "ninja"):  # their console scripts exec data/bin/<name>
        with contextlib.suppress(ImportError, ValueError):
            spec = importlib.util.find_spec(package)
            if spec is not None and spec.submodule_search_locations:
                dirs += [os.path.join(location, "data") for location in spec.submodule_search_locations]
    if track == "cuda":
        nvcc = shutil.which(os.environ.get("CUDACXX") or "nvcc")
        if nvcc:  # nvcc's own tree: bin/ (cudafe++, ptxas...), nvvm/, include/, lib64/
            dirs.append(str(Path(os.path.realpath(nvcc)).parent.parent))
    return dirs


def _python_bins() -> list[str]:
    """The interpreter's folders: CMake's FindPython runs it. Granted even inside the project (a
    virtual environment in the checkout), as grader.sandbox grants the interpreter's prefixes."""
    return [os.path.realpath(p) for p in (os.path.join(sys.prefix, "bin"), os.path.dirname(os.path.realpath(sys.executable)))
            if os.path.isdir(p)]


def _glob(pattern: str) -> list[str]:
    import glob

    return sorted(glob.glob(pattern))


@functools.lru_cache(maxsize=None)
def _tool_grants(root: str, track: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(read, execute) for the build's tools: what an interpreter reads plus the toolchain's trees
    and headers, without the project's files (``_project_paths``)."""
    from grader import sandbox

    hidden = _project_paths(root)
    execute = _beneath(_tool_dirs(track), hidden)
    execute += _beneath(_python_bins(), hidden[1:])  # hidden[0]: the checkout
    libraries = os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep)
    read = list(sandbox.python_read_paths(exclude=hidden))
    read += _beneath([*_system_dirs(track), *libraries], hidden)
    return _outermost(read), _outermost(execute)


def _outermost(paths: list[str]) -> tuple[str, ...]:
    """``paths`` without those another one already covers (a policy that reads well in a record)."""
    from grader.sandbox import LIST_ONLY

    trees = [p for p in paths if not p.startswith(LIST_ONLY)]
    return tuple(p for p in dict.fromkeys(paths)
                 if not any(t != p.removeprefix(LIST_ONLY) and _under(p.removeprefix(LIST_ONLY), t) for t in trees))


def _jail(root: Path, challenge: Challenge, folder: Path) -> list[str]:
    """The prefix that runs a command confined to ``folder`` (``grader/confined_exec.py``): it may
    read the toolchain and the build's own folder, write only its build/ and tmp/, run only the
    toolchain, and reach no network. Empty when the sandbox is off or Landlock is missing (the run
    is then marked unofficial by the box)."""
    if not _sandbox_on():
        return []
    read, execute = _tool_grants(os.path.realpath(root), challenge.track)
    write = [str(folder / "build"), str(folder / "tmp")]
    if "-DCMAKE_CUDA_ARCHITECTURES=native" in _cuda_architectures(challenge):
        # CMake finds the GPU's architecture by running the program it built from its own
        # CMakeCUDACompilerABI.cu (in build/CMakeFiles/<version>/), which opens the GPU read-write.
        # Nothing runs the candidate's code there.
        (folder / "build" / "CMakeFiles").mkdir(parents=True, exist_ok=True)
        execute = (*execute, str(folder / "build" / "CMakeFiles"))
        write += [p for p in (*_glob("/dev/nvidia*"), *_glob("/dev/nvidia-caps/*")) if not os.path.isdir(p)]
    policy = {"read": [*read, str(folder)], "write": write, "execute": list(execute),
              "file_size_mb": BUILD_FILE_SIZE_MB, "open_files": BUILD_OPEN_FILES}
    path = folder / "sandbox.json"
    path.write_text(json.dumps(policy, indent=0))
    return [sys.executable, "-I", "-S", str(LAUNCHER), f"@{path}", "--"]


def _run(command: list[str], cwd: Path, timeout: float = BUILD_TIMEOUT_S, memory: int | None = None,
         jail: list[str] | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a tool with no stdin in its own process group, killing the whole group on timeout (the
    compiler driver's children too). ``memory`` caps each process's address space; ``jail``
    (from ``_jail``) confines it."""
    if memory is not None:
        command = ["/bin/sh", "-c", 'ulimit -v "$1" 2>/dev/null; shift; exec "$@"', "sh", str(memory // 1024), *command]
    command = [*(jail or []), *command]
    process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, errors="replace", start_new_session=True,
                               env=None if env is None else {**os.environ, **env})
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    if jail and process.returncode == 126 and "cv-grader: cannot confine the build" in stderr:
        raise BuildError(stderr.strip().removeprefix("cv-grader: "))
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


# --- messages in the candidate's terms ---------------------------------------------------------------


class _Names:
    """Paths of the scratch copies and of what they were copied from."""

    def __init__(self, src: Path, challenge: Challenge, solution: Path):
        ext = _extension(challenge)
        self.src = src
        self.solution = src / f"solution{ext}"
        self.harness = src / f"harness{ext}"
        self.copies = {self.solution: solution, self.harness: harness_path(challenge),
                       **{src / name: TEMPLATES / name for name in HEADERS}}
        self.real_copies = {os.path.realpath(copy) for copy in self.copies}

    def original(self, path: str) -> str:
        real = os.path.realpath(path)
        for copy, source in self.copies.items():
            if real == os.path.realpath(copy):
                return str(source)
        return path

    def map_text(self, text: str) -> str:
        """Compiler output with the scratch copies' paths replaced by the originals'."""
        for copy, source in self.copies.items():
            for form in dict.fromkeys([str(copy), os.path.realpath(copy)]):
                text = text.replace(form, str(source))
        return text


def compiler_errors(output: str, solution: Path) -> str:
    """The compiler's errors, those in (or with a note pointing into) the candidate's file first,
    each as file:line: message, with the notes that point into the candidate's file below it."""

    def in_solution(file: str) -> bool:
        return file == str(solution) or Path(file).name == solution.name

    diagnostics = []  # [rank, text, notes]
    for line in output.splitlines():
        line = line.strip()
        asm = ASM_ERROR.match(line)
        if asm and asm["file"].endswith(".s"):  # the compiler's scratch assembly: the error is in an asm() statement
            diagnostics.append([0, f"{solution}: error: in an asm statement, the assembler says: {asm['msg']}", []])
            continue
        match = ERROR_LINE.match(line) or NVCC_ERROR.match(line)
        if match:
            rank = 0 if in_solution(match["file"]) else 2
            diagnostics.append([rank, f"{match['file']}:{match['line']}: error: {match['msg']}", []])
            continue
        note = NOTE_LINE.match(line)
        if note and diagnostics and in_solution(note["file"]):
            diagnostics[-1][2].append(f"  {note['file']}:{note['line']}: note: {note['msg']}")
            diagnostics[-1][0] = min(diagnostics[-1][0], 1)
    if not diagnostics:
        tail = "\n".join(output.strip().splitlines()[-15:])
        return f"the build failed:\n{tail}"
    ranked = sorted(diagnostics, key=lambda d: d[0])
    ordered = ["\n".join([text, *dict.fromkeys(notes)]) for _, text, notes in ranked]
    shown = list(dict.fromkeys(ordered))[:MAX_ERRORS]
    more = len(ordered) - len(shown)
    lead = ""
    if ranked[0][0] == 1:  # reported in the harness, traced back into the candidate's file only by a note
        lead = ("the compiler stops in the harness, which includes your file after your kernel: a mistake at the "
                "end of your code (an unclosed '{', a missing ';') shows up there. Start at the note's line in your file.\n")
    return "compile error:\n" + lead + "\n".join(shown) + (f"\n... and {more} more" if more > 0 else "")


# --- the include check --------------------------------------------------------------------------------


def _compiler_include_dirs(compiler: str) -> list[str]:
    """The compiler's own search list for <...> (gcc/clang: ``-E -v``)."""
    try:
        out = subprocess.run([compiler, "-x", "c++", "-E", "-v", "-"], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return []
    dirs, inside = [], False
    for line in out.stderr.splitlines():
        if line.startswith("#include <...> search starts here"):
            inside = True
        elif line.startswith("End of search list"):
            break
        elif inside and line.startswith(" "):
            dirs.append(line.strip().removesuffix(" (framework directory)"))
    return dirs


@functools.lru_cache(maxsize=None)
def _system_dirs(track: str) -> tuple[str, ...]:
    """Folders whose headers any solution may include: the compiler's, /usr/include, CUDA's,
    Python's and pybind11's."""
    import pybind11

    dirs = ["/usr/include", pybind11.get_include()]
    dirs += [sysconfig.get_paths().get(name) for name in ("include", "platinclude")]
    for compiler in dict.fromkeys([os.environ.get("CXX") or "c++", os.environ.get("CUDAHOSTCXX") or "g++"]):
        path = shutil.which(compiler)
        if path:
            dirs += _compiler_include_dirs(path)
    if track == "cuda":
        dirs += [str(p) for p in Path("/usr/local").glob("cuda*")]
        nvcc = shutil.which(os.environ.get("CUDACXX") or "nvcc")
        if nvcc:
            home = Path(os.path.realpath(nvcc)).parent.parent
            dirs += [str(home / "include"), *(str(p) for p in home.glob("targets/*/include"))]
    return tuple(dict.fromkeys(os.path.realpath(d) for d in dirs if d))


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def parse_depfile(text: str) -> list[str]:
    """The prerequisites of a Make-syntax dependency file, as gcc, clang and nvcc write them."""
    text = text.replace("\\\r\n", " ").replace("\\\n", " ")
    deps = []
    for line in text.splitlines():
        colon = re.search(r"(?<!\\):(?:\s|$)", line)
        if colon is None:
            continue
        for token in re.findall(r"(?:\\.|[^\s\\])+\\?", line[colon.end():]):
            deps.append(re.sub(r"\\([ #:\\])", r"\1", token).replace("$$", "$"))
    return deps


def _refused(deps: list[str], cwd: str, names: _Names, root: Path, track: str) -> dict[str, str]:
    """The dependencies outside the system folders and the scratch copies, in order: resolved
    path -> the path as the compiler found it (without ``..``)."""
    import pybind11

    system = _system_dirs(track)
    root_real = os.path.realpath(root)
    allowed_in_root = [os.path.realpath(pybind11.get_include()), *(os.path.realpath(p) for p in
                       (sysconfig.get_paths().get("include"), sysconfig.get_paths().get("platinclude")) if p)]
    refused = {}
    for dep in deps:
        real = os.path.realpath(os.path.join(cwd, dep))
        if real in names.real_copies:
            continue
        ok = os.path.isfile(real) and any(_under(real, d) for d in system)
        if ok and _under(real, root_real):  # a project that sits under a system folder: still not its files
            ok = any(_under(real, d) for d in allowed_in_root)
        if not ok:
            refused.setdefault(real, os.path.normpath(os.path.join(cwd, dep)))
    return refused


def _includers(preprocessed: str, cwd: str) -> dict[str, tuple[str, int]]:
    """From ``-E`` output's line markers: each file (resolved) -> (the file that included it, line)."""
    stack: list[str] = []
    found: dict[str, tuple[str, int]] = {}
    for text in preprocessed.splitlines():
        if not text.startswith("#"):
            continue
        marker = LINE_MARKER.match(text)
        if marker is None:
            continue
        name = re.sub(r"\\(.)", r"\1", marker["file"])
        flags = marker["flags"].split()
        if "1" in flags:
            stack.append(name)
        elif "2" in flags:
            if stack:
                child = stack.pop()
                found.setdefault(os.path.realpath(os.path.join(cwd, child)), (name, int(marker["line"]) - 1))
            if stack:
                stack[-1] = name
        elif stack:
            stack[-1] = name
        else:
            stack.append(name)
    return found


PREPROCESS_DROP_WITH_VALUE = {"-o", "-MF", "-MT", "-MQ", "--output-file", "--dependency-output", "-odir"}
PREPROCESS_DROP = {"-c", "--compile", "-MD", "-MMD", "-MP", "--generate-dependencies-with-compile",
                   "--generate-nonsystem-dependencies-with-compile", "--generate-dependency-targets"}
PREPROCESS_DROP_PREFIXES = ("-o=", "--output-file=", "-MF", "-MT", "-MQ", "--dependency-output=", "-Wp,-M")


def _preprocessor(build_dir: Path, names: _Names, mode: str) -> tuple[list[str], str]:
    """The harness's exact compile command (from compile_commands.json) turned into a preprocessor
    run: ``-M`` for the dependency list, ``-E`` for the line markers."""
    entries = json.loads((build_dir / "compile_commands.json").read_text())
    entry = next(e for e in entries if os.path.realpath(os.path.join(e["directory"], e["file"])) == os.path.realpath(names.harness))
    args = entry.get("arguments") or shlex.split(entry["command"])
    command, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in PREPROCESS_DROP_WITH_VALUE:
            skip = True
        elif arg not in PREPROCESS_DROP and not arg.startswith(PREPROCESS_DROP_PREFIXES):
            command.append(arg)
    return command + [mode], entry["directory"]


def _check_includes(build_dir: Path, names: _Names, root: Path, challenge: Challenge, run=None) -> None:
    """Refuse a solution whose build would read anything but system headers and the scratch
    copies. The preprocessor runs first, alone, with a timeout and a memory cap, so an include of
    /dev/zero or a pipe fails here instead of hanging the compiler. ``run``: how to run a tool
    (``_run``, confined by the build's jail); a file the jail hides fails to open, and is refused
    naming the line that includes it, like a file the dependency list shows."""
    run = run or _run
    solution = names.copies[names.solution]
    try:
        command, cwd = _preprocessor(build_dir, names, "-M")
    except (OSError, ValueError, KeyError, StopIteration) as exc:  # fail closed: no check, no build
        raise BuildError(f"cannot check what {solution} includes: no usable compile_commands.json ({exc})") from None
    try:
        listed = run(command, Path(cwd), timeout=CHECK_TIMEOUT_S, memory=CHECK_MEMORY_BYTES)
    except subprocess.TimeoutExpired:
        raise BuildError(f"preprocessing {solution} did not finish within {CHECK_TIMEOUT_S} s: does it include a device "
                         f"or a pipe, such as /dev/zero? {INCLUDE_RULE}") from None
    if listed.returncode != 0:
        denied = _denied_includes(listed.stdout + listed.stderr, cwd, names)
        if denied:
            raise BuildError("\n".join(f"{where} includes {shown}: {INCLUDE_RULE}" for where, shown in denied))
        output = names.map_text(listed.stdout + listed.stderr)
        if re.search(r"out of memory|memory exhausted|bad_alloc|[Cc]annot allocate", output):
            raise BuildError(f"preprocessing {solution} ran out of memory: does it include a device such as /dev/zero? {INCLUDE_RULE}")
        message = compiler_errors(output, solution)
        if re.search(r"No such file or directory|cannot open source file", output):
            message += f"\n({INCLUDE_RULE}; the files next to it are not part of the build)"
        raise BuildError(message)
    refused = _refused(parse_depfile(listed.stdout), cwd, names, root, challenge.track)
    if refused:
        raise BuildError(_refusal(refused, build_dir, names, run))


def _denied_includes(output: str, cwd: str, names: _Names) -> list[tuple[str, str]]:
    """The includes the build's jail kept the preprocessor from opening: (``file:line`` of the
    include, or the candidate's file where the compiler names no line; the file as resolved), from
    ``file:line:col: fatal error: name: Permission denied`` or ``cc1plus: fatal error: ...``."""
    found = []
    for line in output.splitlines():
        match = DENIED_INCLUDE.match(line.strip())
        if match is None:
            continue
        name = match["name"]
        if match["file"]:
            includer = os.path.normpath(os.path.join(cwd, match["file"]))
            where, folder = f"{names.original(includer)}:{match['line']}", os.path.dirname(includer)
        else:
            where, folder = str(names.copies[names.solution]), cwd
        found.append((where, os.path.realpath(os.path.join(folder, name))))
    return list(dict.fromkeys(found))


def _refusal(refused: dict[str, str], build_dir: Path, names: _Names, run=None) -> str:
    """The refusal, naming for each refused file the line that includes it (the include from
    outside the refused files: the solution's line, not a line inside the reference)."""
    includers: dict[str, tuple[str, int]] = {}
    try:
        command, cwd = _preprocessor(build_dir, names, "-E")
        marked = (run or _run)(command, Path(cwd), timeout=CHECK_TIMEOUT_S, memory=CHECK_MEMORY_BYTES)
        includers = {child: (os.path.realpath(os.path.join(cwd, parent)), line)
                     for child, (parent, line) in _includers(marked.stdout, cwd).items()}
    except (subprocess.SubprocessError, OSError, StopIteration, ValueError):
        pass
    lines = []
    for real, shown in refused.items():
        where, child, seen = str(names.copies[names.solution]), real, set()
        while child in includers and child not in seen:
            seen.add(child)
            parent, line = includers[child]
            if parent not in refused:
                where = f"{names.original(parent)}:{line}"
                break
            child = parent
        if child != real:
            continue  # included by another refused file, which is reported
        lines.append(f"{where} includes {shown}: {INCLUDE_RULE}")
    return "\n".join(lines or [f"{names.copies[names.solution]} includes {next(iter(refused.values()))}: {INCLUDE_RULE}"])


def _check_depfiles(build_dir: Path, names: _Names, root: Path, challenge: Challenge) -> None:
    """The same rule on the dependency files the compiler wrote while building (a second look,
    should the compile have read anything the preprocessor run did not). CMake 3.27 and later may
    have the linker write ``link.d`` too (seen on a GPU machine's newer toolchain): it lists the C
    runtime, libraries and object files linked, not what was included, so it is not read."""
    for depfile in build_dir.rglob("*.d"):
        if depfile.name == LINKER_DEPFILE:
            continue
        try:
            deps = parse_depfile(depfile.read_text(errors="replace"))
        except OSError:
            continue
        refused = _refused(deps, str(build_dir), names, root, challenge.track)
        if refused:
            raise BuildError("\n".join(f"{names.copies[names.solution]} includes {p}: {INCLUDE_RULE}" for p in refused.values()))


# --- configuring -----------------------------------------------------------------------------------------


def _cuda_architectures(challenge: Challenge) -> list[str]:
    """The GPU in this machine; without one the code only needs to compile, so PTX for one
    architecture catches every compile error at a quarter of the build time."""
    if challenge.track != "cuda":
        return []
    from grader.availability import gpu_present

    return [f"-DCMAKE_CUDA_ARCHITECTURES={'native' if gpu_present() else '90-virtual'}"]


def _key_settings(challenge: Challenge) -> list[bytes]:
    """What decides the module besides its name and sources (``build_cache.build_settings``): the
    CMake template, the CUDA architectures, the toolchain."""
    return build_cache.build_settings(challenge.track, (TEMPLATES / "CMakeLists.txt").read_bytes(), _cuda_architectures(challenge))


def _scratch(folder: Path, challenge: Challenge, solution: Path, sources: dict[str, bytes]) -> _Names:
    """``folder`` made anew: copies of ``sources`` in src/, and the build/ and tmp/ (TMPDIR and HOME
    of every tool: gcc's, nvcc's and CMake's scratch files) its tools write, made before the jail
    as a grant is on an existing folder."""
    build_cache.remove(folder)
    src = folder / "src"
    src.mkdir(parents=True)
    for name, data in sources.items():
        (src / name).write_bytes(data)
    (folder / "build").mkdir()
    (folder / "tmp").mkdir()
    return _Names(src, challenge, solution)


def _jailed_run(root: Path, challenge: Challenge, folder: Path):
    """``_run`` for the tools of the build in ``folder``, confined to it."""
    tmp = str(folder / "tmp")
    return functools.partial(_run, jail=_jail(root, challenge, folder), env={"TMPDIR": tmp, "HOME": tmp})


def _configure(folder: Path, challenge: Challenge, names: _Names, run) -> None:
    """CMake's configure step: the template, on the copies in ``folder``'s src/, into its build/."""
    import pybind11

    project = folder / "project"  # the CMake template, copied: the jailed tools cannot read grader/
    project.mkdir()
    shutil.copyfile(TEMPLATES / "CMakeLists.txt", project / "CMakeLists.txt")
    configure = run(
        [
            "cmake", "-S", str(project), "-B", str(folder / "build"), "-DCMAKE_BUILD_TYPE=Release",
            "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON", f"-DPython_EXECUTABLE={sys.executable}",
            f"-Dpybind11_DIR={pybind11.get_cmake_dir()}", f"-DCVG_MODULE={module_name(challenge)}",
            f"-DCVG_HARNESS={names.harness}", f"-DCVG_SOLUTION={names.solution}", f"-DCVG_INCLUDE={names.src}",
            f"-DCVG_WITH_CUDA={'ON' if challenge.track == 'cuda' else 'OFF'}", *_cuda_architectures(challenge),
        ],
        folder,
    )
    if configure.returncode != 0:
        tail = "\n".join((configure.stdout + configure.stderr).splitlines()[-15:])
        raise BuildError("configuring the build failed:\n" + names.map_text(tail).replace(str(project), str(TEMPLATES)))


# --- recipes: CMake's commands, configured once per challenge and toolchain --------------------------

FOLDER_PLACEHOLDER = "@CVG_BUILD_FOLDER@"  # in a stored recipe, the folder it is replayed in
DEPFILE_FLAGS = {"-MD", "-MMD"}
DEPFILE_FLAGS_WITH_VALUE = {"-MT", "-MF", "-MQ"}
OUTPUT_FLAGS = {"-o", "-MF"}
OPTIONS_FILE_FLAGS = {"--options-file", "-optf"}  # nvcc's; gcc and the linker read @file


def _following(flags: set[str], command: list[str]) -> list[str]:
    """The arguments that follow one of ``flags`` in ``command``."""
    return [arg for before, arg in zip(command, command[1:]) if before in flags]


def _with_depfile(command: list[str], rules: str) -> list[str] | None:
    """The harness's compile as the Makefile runs it. compile_commands.json leaves out the flags that
    have the compiler write its dependency file (``-MD -MT <object> -MF <object>.d``), which
    ``_check_depfiles`` reads; the rule in build.make has them just before the tail the two share
    (``-o <object> -c <source>``)."""
    object_file = _following({"-o"}, command)[0]
    for line in rules.splitlines():
        if not (line.startswith("\t") and "-MF" in line and object_file in line):
            continue
        rule = shlex.split(line)
        start = next((i for i, arg in enumerate(rule) if arg in DEPFILE_FLAGS), len(rule))
        end = start + 1
        while end + 1 < len(rule) and rule[end] in DEPFILE_FLAGS_WITH_VALUE:
            end += 2
        flags, tail = rule[start:end], rule[end:]
        if "-MF" in flags and "-o" in tail and command[-len(tail):] == tail:
            return command[:-len(tail)] + flags + tail
    return None


def _extract_recipe(folder: Path, challenge: Challenge, names: _Names) -> dict | None:
    """The commands CMake's Makefiles generated in ``folder``'s build/, with ``folder`` replaced by a
    placeholder: the harness's compile, the link step(s) (each ``cmake_link_script`` of build.make,
    in order: ``link.txt``, after a CUDA device link's ``dlink.txt`` if there is one) and the
    response files they read. None where the build is laid out otherwise (another generator, such
    as CMAKE_GENERATOR=Ninja; more than the harness to compile; files outside build/): CMake then
    configures and builds every time."""
    build_dir = folder / "build"
    try:
        [entry] = json.loads((build_dir / "compile_commands.json").read_text())
        rules = (build_dir / "CMakeFiles" / f"{module_name(challenge)}.dir" / "build.make").read_text()
        if (os.path.realpath(entry["directory"]) != os.path.realpath(build_dir)
                or os.path.realpath(os.path.join(entry["directory"], entry["file"])) != os.path.realpath(names.harness)):
            return None
        compile_command = _with_depfile(entry.get("arguments") or shlex.split(entry["command"]), rules)
        links = [shlex.split(line) for script in re.findall(r"cmake_link_script (\S+)", rules)
                 for line in (build_dir / script).read_text().splitlines() if line.strip()]
        if compile_command is None or not links:
            return None
        commands = [compile_command, *links]
        options_files = [arg[1:] for command in commands for arg in command if arg.startswith("@")]
        options_files += [arg for command in commands for arg in _following(OPTIONS_FILE_FLAGS, command)]
        files = {name: (build_dir / name).read_text() for name in options_files}
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    written = [*files, *(arg for command in commands for arg in _following(OUTPUT_FLAGS, command))]
    if not all(_under(os.path.normpath(os.path.join(build_dir, path)), str(build_dir)) for path in written):
        return None
    text = json.dumps({"compile": compile_command, "link": links, "files": files})
    for form in sorted({str(folder), os.path.realpath(folder)}, key=len, reverse=True):
        text = text.replace(json.dumps(form)[1:-1], FOLDER_PLACEHOLDER)
    if folder.name in text:  # the folder in another form, which would not move with the placeholder
        return None
    return json.loads(text)


def _make_recipe(root: Path, challenge: Challenge, folder: Path, key: str, sources: dict[str, bytes]) -> dict:
    """Configure in ``folder``, jailed as any build, on the harness, the headers and an empty
    solution (no candidate's code takes part), and keep the commands CMake generated, marked with
    an HMAC like a ``done`` mark; ``{}`` where they cannot be replayed."""
    solution = f"solution{_extension(challenge)}"
    names = _scratch(folder, challenge, folder / "src" / solution, {**sources, solution: b""})
    try:
        _configure(folder, challenge, names, _jailed_run(root, challenge, folder))
        recipe = _extract_recipe(folder, challenge, names) or {}
        build_cache.store_recipe(folder, key, recipe)
    except BaseException:
        build_cache.remove(folder)
        raise
    for leftover in ("src", *SCRATCH):
        build_cache.remove(folder / leftover)
    return recipe


def recipe_folder(key: str) -> str:
    """The name of the folder, beside the builds, that holds the recipe of recipe key ``key``."""
    return f"recipe-{key}"


def _recipe(root: Path, challenge: Challenge, cache: Path, key: str, sources: dict[str, bytes]) -> dict | None:
    """The challenge's recipe (``key``: its recipe key), made on first use; None where the build
    cannot be replayed."""
    folder = cache / recipe_folder(key)
    with build_cache.locked(cache / f"{folder.name}.lock"):
        recipe = build_cache.load_recipe(folder, key)
        if recipe is None:
            recipe = _make_recipe(root, challenge, folder, key, sources)
    return recipe or None


def _replay(recipe: dict, folder: Path, names: _Names) -> list[list[str]]:
    """Lay ``recipe`` out in ``folder``'s build/: its response files, the folders its outputs go
    to, its compile command as compile_commands.json (the include check preprocesses with it);
    returns the commands to run there, the compile first."""
    build_dir = folder / "build"
    recipe = json.loads(json.dumps(recipe).replace(FOLDER_PLACEHOLDER, json.dumps(str(folder))[1:-1]))
    for name, text in recipe["files"].items():
        (build_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (build_dir / name).write_text(text)
    commands = [recipe["compile"], *recipe["link"]]
    for output in (arg for command in commands for arg in _following(OUTPUT_FLAGS, command)):
        (build_dir / output).parent.mkdir(parents=True, exist_ok=True)
    (build_dir / "compile_commands.json").write_text(
        json.dumps([{"directory": str(build_dir), "arguments": recipe["compile"], "file": str(names.harness)}]))
    return commands


# --- building -----------------------------------------------------------------------------------------


SCRATCH = ("build", "tmp", "project", "sandbox.json")  # what a build or a recipe leaves to delete


def _build_fresh(root: Path, challenge: Challenge, solution: Path, folder: Path, key: str, sources: dict[str, bytes],
                 recipe_key: str) -> Path:
    """Build from nothing in ``folder`` (deleted first), replaying the challenge's recipe (where
    there can be none, CMake configures and builds); returns the module, marked done."""
    names = _scratch(folder, challenge, solution, sources)
    build_dir = folder / "build"
    name = module_name(challenge)
    try:
        run = _jailed_run(root, challenge, folder)
        recipe = _recipe(root, challenge, folder.parent, recipe_key, sources)
        if recipe:
            commands = _replay(recipe, folder, names)
        else:
            _configure(folder, challenge, names, run)
            commands = [["cmake", "--build", str(build_dir)]]
        _check_includes(build_dir, names, root, challenge, run)
        for command in commands:
            done = run(command, build_dir)
            if done.returncode != 0:
                raise BuildError(compiler_errors(names.map_text(done.stdout + done.stderr), solution))
        _check_depfiles(build_dir, names, root, challenge)
        suffixes = importlib.machinery.EXTENSION_SUFFIXES
        found = [p for p in build_dir.glob(f"{name}*") if p.is_file() and any(p.name.endswith(s) for s in suffixes)]
        if not found:
            raise BuildError(f"the build produced no {name} module in {build_dir}")
        module = folder / found[0].name
        shutil.copyfile(found[0], module)
        build_cache.mark_done(folder, key, module)
    except subprocess.TimeoutExpired as exc:
        build_cache.remove(folder)
        raise BuildError(f"the build did not finish within {exc.timeout:.0f} s") from None
    except BaseException:
        build_cache.remove(folder)
        raise
    for leftover in SCRATCH:
        build_cache.remove(folder / leftover)
    return module


def build(root: Path, challenge: Challenge, solution: Path) -> Path:
    """Compile ``solution`` into the challenge's extension module; returns the module's path, a
    file in the build cache (copy it before loading it anywhere it could be replaced)."""
    if shutil.which("cmake") is None:
        raise BuildError("cmake not found: compiled tracks need CMake (pip install cmake)")
    harness = harness_path(challenge)
    if not harness.is_file():
        raise BuildError(f"{challenge.id} has no {harness.name}: the challenge is incomplete")
    solution = Path(solution).resolve()
    ext = _extension(challenge)
    try:
        sources = {f"solution{ext}": solution.read_bytes(), f"harness{ext}": harness.read_bytes(),
                   **{name: (TEMPLATES / name).read_bytes() for name in HEADERS}}
    except OSError as exc:
        raise BuildError(f"cannot read the solution: {exc}") from None
    settings = _key_settings(challenge)
    key = build_cache.build_key(module_name(challenge), challenge.track, sources, settings)
    recipe_key = build_cache.recipe_key(module_name(challenge), challenge.track, settings)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    cache = state.folder(root, "build", challenge.id)  # pruning deletes in it: never through a planted link
    folder = cache / key
    lock = cache / f"{key}.lock"
    with build_cache.locked(lock):
        module = build_cache.cached_module(folder, key)
        if module is not None:
            return module
        try:
            module = _build_fresh(root, challenge, solution, folder, key, sources, recipe_key)
        except BaseException:
            lock.unlink(missing_ok=True)  # nothing cached; a waiter reopens the path and builds
            raise
    with contextlib.suppress(OSError):
        build_cache.prune(cache, {key, recipe_folder(recipe_key)})
    return module
