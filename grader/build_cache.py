"""What is kept between builds of C++ and CUDA solutions, and how it is trusted.

``grader/building.py`` builds each module in ``.grader/build/<challenge id>/<key>``, where the key
is a hash of everything that goes into the module: the solution's, harness's, the ``HEADERS``' and
the CMake template's bytes, the toolchain's versions and the CUDA architectures. Beside the builds
lies the challenge's recipe, ``recipe-<recipe key>/recipe.json`` (what it holds: building.py). This
module knows nothing of CMake or of the build's jail: what only the build knows (the module's
name, the template's bytes, the flags) is passed in.

A finished build is marked by ``done``, written last, with the module's sha256 and an HMAC under
a secret kept outside the project; a folder without a valid mark (interrupted, stale, planted or
tampered with) is deleted and built again; a recipe carries an HMAC under the same secret, and
one that does not verify is configured again. A lock per key (``<key>.lock``, ``flock``) makes
concurrent builds of the same content wait for each other, while different content builds in
parallel; a lock per recipe has a challenge's first builds configure it once. Only the most
recently used builds of each challenge, and its current recipe, are kept.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

KEEP_BUILDS = 4  # per challenge, the most recently used
PRUNE_GRACE_S = 300  # never prune a build used this recently: a caller may still be copying it
RECIPE = "recipe.json"  # in .grader/build/<challenge id>/recipe-<recipe key>/
KEY_VERSION = b"cv-grader build 2"
MARK_BYTES = 1 << 20  # a done mark or a recipe: a few KB


# --- the cache key ----------------------------------------------------------------------------------

TOOLCHAIN_ENV = ("CXX", "CUDACXX", "CUDAHOSTCXX", "CXXFLAGS", "CUDAFLAGS", "CPPFLAGS", "LDFLAGS", "CPATH",
                 "CPLUS_INCLUDE_PATH", "C_INCLUDE_PATH", "CMAKE_GENERATOR", "CMAKE_PREFIX_PATH")


def _version_of(command: list[str]) -> str:
    path = shutil.which(command[0])
    if path is None:
        return f"{command[0]}: not found"
    try:
        out = subprocess.run([path, *command[1:]], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{path}: {exc}"
    return f"{os.path.realpath(path)}\n{out.stdout}{out.stderr}"


def _cpu_model() -> str:
    try:  # -march=native: a module built for one CPU may not run on another
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "flags")):
                return line
    except OSError:
        pass
    return platform.processor()


@functools.lru_cache(maxsize=None)
def _toolchain(track: str) -> tuple[str, ...]:
    """What, besides the sources, decides the module: compiler, CMake, Python and pybind11."""
    import pybind11

    parts = [sys.version, sys.executable, pybind11.__version__, pybind11.get_include(), platform.machine(), _cpu_model(),
             _version_of(["cmake", "--version"]), _version_of([os.environ.get("CXX") or "c++", "--version"])]
    if track == "cuda":
        parts.append(_version_of([os.environ.get("CUDACXX") or "nvcc", "--version"]))
    parts += [f"{name}={os.environ.get(name, '')}" for name in TOOLCHAIN_ENV]
    return tuple(parts)


def _digest(parts: list[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()[:24]


def build_settings(track: str, template: bytes, flags: list[str]) -> list[bytes]:
    """What decides the build besides the sources: the build template (``template``, its bytes), the
    flags, the toolchain."""
    return [template, " ".join(flags).encode(), *(part.encode() for part in _toolchain(track))]


def build_key(module: str, track: str, sources: dict[str, bytes], settings: list[bytes]) -> str:
    """The cache key: a hash of the sources' bytes and the ``settings`` (``build_settings``)."""
    parts = [KEY_VERSION, module.encode(), track.encode()]
    parts += [item for name in sorted(sources) for item in (name.encode(), sources[name])]
    return _digest(parts + settings)


def recipe_key(module: str, track: str, settings: list[bytes]) -> str:
    """The key of the challenge's recipe: the build key's parts but the sources, whose bytes CMake's
    configure step never reads."""
    return _digest([KEY_VERSION, b"recipe", module.encode(), track.encode(), *settings])


# --- locks, marks, pruning ----------------------------------------------------------------------------


@contextlib.contextmanager
def locked(path: Path, blocking: bool = True):
    """An exclusive flock on ``path``; yields False (without waiting) when not blocking and held.
    Retries when the file was deleted (by pruning) between opening and locking it."""
    import fcntl

    if path.is_symlink() or (path.exists() and not path.is_file()):
        remove(path)  # planted (a fork can commit .grader/): opening it would fail on every build
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                yield True
                return
        finally:
            os.close(fd)


def secret_path() -> Path:
    try:
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cv-grader" / "build-secret"
    except RuntimeError:  # no home folder
        return Path("/nonexistent/cv-grader/build-secret")


@functools.lru_cache(maxsize=None)
def _secret() -> bytes:
    """A random key outside the project, so a ``done`` mark cannot be forged by whoever controls
    the checkout (a fork can commit ``.grader/``). Without a writable cache folder, a key for this
    process only: builds are then not reused across processes, never wrongly reused."""
    path = secret_path()
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            scratch = folder / f".build-secret.{os.getpid()}.{time.monotonic_ns()}"
            scratch.write_bytes(os.urandom(32))
            os.chmod(scratch, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(scratch, path)  # atomic: the first writer wins, whole
            scratch.unlink()
        secret = path.read_bytes()
        if len(secret) >= 32:
            return secret
    except (OSError, RuntimeError):  # RuntimeError: no home folder
        pass
    return os.urandom(32)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _mac(*fields: str) -> str:
    """The HMAC of a mark's fields (a done mark's, a recipe's) under the secret."""
    return hmac.new(_secret(), "\n".join(fields).encode(), hashlib.sha256).hexdigest()


def _read_mark(path: Path) -> dict:
    """A mark's JSON, read only from a regular file of at most ``MARK_BYTES`` that is not a link: a
    planted link to /dev/zero or a FIFO would otherwise be read until memory runs out, or forever."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MARK_BYTES:
            raise ValueError(f"{path} is not a mark")
        return json.loads(handle.read(MARK_BYTES + 1))


def cached_module(folder: Path, key: str) -> Path | None:
    """The module of a completed build in ``folder``, or None when the mark is missing or does not
    match the module (interrupted, stale or tampered with)."""
    try:
        mark = _read_mark(folder / "done")
        name = mark["module"]
        module = folder / name
        if (not isinstance(name, str) or Path(name).name != name or folder.is_symlink()
                or not stat.S_ISREG(module.lstat().st_mode)):
            return None
        sha256 = _sha256(module)
        if mark.get("key") != key or mark.get("sha256") != sha256 or not hmac.compare_digest(str(mark.get("mac")), _mac(key, name, sha256)):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    with contextlib.suppress(OSError):
        os.utime(folder / "done")  # last used, for pruning
    return module


def mark_done(folder: Path, key: str, module: Path) -> None:
    sha256 = _sha256(module)
    scratch = folder / "done.tmp"
    scratch.write_text(json.dumps({"key": key, "module": module.name, "sha256": sha256, "mac": _mac(key, module.name, sha256)}))
    os.replace(scratch, folder / "done")


def remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _last_used(folder: Path) -> float:
    for path in (folder / "done", folder / RECIPE, folder):
        with contextlib.suppress(OSError):
            return path.stat().st_mtime
    return 0.0


def prune(cache: Path, keep: set[str]) -> None:
    """Delete all but the ``KEEP_BUILDS`` most recently used builds (and stale recipes, and leftovers
    from older layouts) of one challenge, besides ``keep`` (the current build and recipe), skipping
    builds in progress and builds used in the last minutes."""
    names = {p.name.removesuffix(".lock") for p in cache.iterdir()} - keep
    entries = sorted((cache / name for name in names), key=_last_used, reverse=True)
    now = time.time()
    for folder in entries[KEEP_BUILDS - 1:]:
        if now - max(_last_used(folder), _last_used(cache / f"{folder.name}.lock")) < PRUNE_GRACE_S:
            continue
        lock = cache / f"{folder.name}.lock"
        with contextlib.suppress(OSError), locked(lock, blocking=False) as held:
            if held:
                remove(folder)
                lock.unlink(missing_ok=True)


# --- recipes: stored and verified --------------------------------------------------------------------


def _canonical(recipe: dict) -> str:
    return json.dumps(recipe, sort_keys=True)


def store_recipe(folder: Path, key: str, recipe: dict) -> None:
    """``recipe`` as ``folder``'s recipe.json, marked with an HMAC like a ``done`` mark, written whole."""
    scratch = folder / f"{RECIPE}.tmp"
    scratch.write_text(json.dumps({"key": key, "recipe": recipe, "mac": _mac("recipe", key, _canonical(recipe))}))
    os.replace(scratch, folder / RECIPE)


def load_recipe(folder: Path, key: str) -> dict | None:
    """The recipe in ``folder`` (``{}``: the build cannot be replayed), or None when it is missing,
    malformed or its HMAC does not match (interrupted, stale, planted or tampered with)."""
    try:
        if folder.is_symlink():
            return None
        mark = _read_mark(folder / RECIPE)
        recipe = mark["recipe"]
        if (mark.get("key") != key or not isinstance(recipe, dict)
                or not hmac.compare_digest(str(mark.get("mac")), _mac("recipe", key, _canonical(recipe)))):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    with contextlib.suppress(OSError):
        os.utime(folder / RECIPE)  # last used, for pruning
    return recipe
