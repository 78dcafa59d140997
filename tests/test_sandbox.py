"""The sandbox a candidate's code runs in: each test confines a forked child (or, for the torch
import, a fresh interpreter), tries what a candidate might, and reports back through a pipe."""

import ctypes
import dataclasses
import errno
import glob
import importlib.util
import json
import os
import pickle
import platform
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import traceback
from pathlib import Path

import pytest

from grader import sandbox
from grader.sandbox import LIST_ONLY, Policy, SandboxError, confine, probe, python_read_paths

ROOT = Path(__file__).resolve().parents[1]
PROBE = probe()
needs_landlock = pytest.mark.skipif(PROBE.landlock_abi == 0, reason=f"the kernel has no Landlock: {PROBE.reason}")
SITE_PACKAGES = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
EDITABLE_PATTERNS = ("reference", "_editable*cv_grader*", "__editable__*", "_cv_grader_editable*", "cv_grader*.dist-info")


def project_excludes() -> tuple[str, ...]:
    """What a box must not read: the checkout, and the editable install's pieces in site-packages
    (the compiled reference and the finder that points into the checkout)."""
    items = [str(ROOT)]
    for site in SITE_PACKAGES:
        for pattern in EDITABLE_PATTERNS:
            items += glob.glob(os.path.join(site, pattern))
    return tuple(items)


def outcome(action) -> str:
    """"ok", or the errno name (or exception name) the action failed with."""
    try:
        action()
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, type(exc).__name__)
    except Exception as exc:  # the exception's name is the result
        return type(exc).__name__


def in_child(body):
    """body() run in a forked child; its return value, or the child's traceback as a failure."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.close(read)
            try:
                payload = ("ok", body())
            except BaseException:
                payload = ("error", traceback.format_exc())
            with os.fdopen(write, "wb") as pipe:
                pipe.write(pickle.dumps(payload))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    assert data, "the child died without reporting"
    status, value = pickle.loads(data)
    if status == "error":
        pytest.fail(f"in the confined child:\n{value}")
    return value


def in_box(policy: Policy, body):
    """(Confinement, body()) from a forked child confined by ``policy``."""
    return in_child(lambda: (confine(policy), body()))


@pytest.fixture
def folders(tmp_path):
    readable, scratch, outside = tmp_path / "read", tmp_path / "scratch", tmp_path / "outside"
    for folder in (readable, scratch, outside):
        folder.mkdir()
    (readable / "data.txt").write_text("readable")
    (outside / "secret.txt").write_text("secret")
    return readable, scratch, outside


def box_policy(readable: Path, scratch: Path, **changes) -> Policy:
    return Policy(read=(*python_read_paths(project_excludes()), str(readable)), write=(str(scratch),), **changes)


@needs_landlock
def test_reads_and_writes_only_where_the_policy_says(folders):
    readable, scratch, outside = folders
    editable = [path for path in project_excludes()[1:] if os.path.isfile(path)]
    editable += [os.path.join(path, name) for path in project_excludes()[1:] if os.path.isdir(path) for name in os.listdir(path)]
    sibling = importlib.util.find_spec("numpy").origin

    def scratch_work():
        (scratch / "a.txt").write_text("x" * 100)
        (scratch / "sub").mkdir()
        (scratch / "a.txt").rename(scratch / "sub" / "b.txt")
        os.truncate(scratch / "sub" / "b.txt", 1)
        assert (scratch / "sub" / "b.txt").read_text() == "x"
        (scratch / "sub" / "b.txt").unlink()
        (scratch / "sub").rmdir()

    confinement, seen = in_box(box_policy(readable, scratch), lambda: {
        "read": outcome(lambda: (readable / "data.txt").read_text()),
        "overwrite readable": outcome(lambda: (readable / "data.txt").write_text("x")),
        "create in readable": outcome(lambda: (readable / "new.txt").write_text("x")),
        "scratch": outcome(scratch_work),
        "outside": outcome(lambda: (outside / "secret.txt").read_text()),
        "list outside": outcome(lambda: os.listdir(outside)),
        "grader source": outcome(lambda: (ROOT / "grader" / "__init__.py").read_text()),
        "editable install": sorted({outcome(lambda path=path: open(path, "rb").close()) for path in editable}),
        "sibling package": outcome(lambda: open(sibling).close()),
        "list site-packages": outcome(lambda: [os.listdir(site) for site in SITE_PACKAGES]),
        "write /dev/null": outcome(lambda: open("/dev/null", "w").write("x")),
        "kernel log": outcome(lambda: open("/dev/kmsg", "rb").close()),
    })
    assert confinement.official, confinement.reason
    assert seen == {
        "read": "ok",
        "overwrite readable": "EACCES",
        "create in readable": "EACCES",
        "scratch": "ok",
        "outside": "EACCES",
        "list outside": "EACCES",
        "grader source": "EACCES",
        "editable install": ["EACCES"] if editable else [],
        "sibling package": "ok",
        "list site-packages": "ok",
        "write /dev/null": "ok",
        "kernel log": "EACCES" if os.path.exists("/dev/kmsg") else "ENOENT",
    }


SCRIPT = """
import json, os, sys
from grader.sandbox import Policy, confine, python_read_paths
excludes, scratch = json.loads(sys.argv[1])
confinement = confine(Policy(read=python_read_paths(excludes), write=(scratch,)))
assert "torch" not in sys.modules
import numpy, torch
torch.set_num_threads(4)
a, b = torch.randn(300, 300, dtype=torch.float64), torch.randn(300, 300, dtype=torch.float64)
product = a @ b
with open("/proc/self/status") as status:
    threads = next(int(line.split()[1]) for line in status if line.startswith("Threads:"))
print(json.dumps({
    "official": confinement.official,
    "sum": float(torch.ones(3).sum()),
    "matmul": bool(numpy.allclose(product.numpy(), a.numpy() @ b.numpy())),
    "threads": threads,
}))
"""


@needs_landlock
def test_torch_imports_and_runs_threads_in_a_fresh_confined_interpreter(folders):
    # Importing torch for the first time inside the box reads site-packages child by child.
    _, scratch, _ = folders
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps([project_excludes(), str(scratch)])],
        capture_output=True, text=True, timeout=60, cwd=scratch,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["official"] and seen["sum"] == 3.0 and seen["matmul"]
    assert seen["threads"] > 1


@needs_landlock
def test_no_processes_but_threads_work(folders):
    readable, scratch, _ = folders

    def forks():
        if os.fork() == 0:  # pragma: no cover - only if the filter failed
            os._exit(0)

    def thread():
        done = []
        worker = threading.Thread(target=lambda: done.append(1))
        worker.start()
        worker.join()
        assert done == [1]

    def clone3():
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        if libc.syscall(ctypes.c_long(435), None, ctypes.c_size_t(0)) != 0:  # clone3's number everywhere
            raise OSError(ctypes.get_errno(), "clone3")

    _, seen = in_box(box_policy(readable, scratch), lambda: {
        "fork": outcome(forks),
        "subprocess": outcome(lambda: subprocess.run(["true"])),
        "posix_spawn": outcome(lambda: os.posix_spawn("/bin/true", ["true"], {})),
        "exec": outcome(lambda: os.execv("/bin/true", ["true"])),
        "clone3": outcome(clone3),
        "thread": outcome(thread),
    })
    assert seen == {"fork": "EPERM", "subprocess": "EPERM", "posix_spawn": "EPERM", "exec": "EPERM", "clone3": "ENOSYS", "thread": "ok"}


@needs_landlock
@pytest.mark.skipif(platform.machine() not in sandbox._SECCOMP, reason="no seccomp filter for this architecture")
def test_compiler_box_runs_programs_only_from_execute_paths_without_privileges(folders):
    readable, scratch, outside = folders
    copied = scratch / "true"
    copied.write_bytes(Path("/bin/true").read_bytes())
    copied.chmod(0o755)

    def run(*command):
        return subprocess.run(command, capture_output=True, text=True)

    def clone_user_namespace():
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        number = sandbox._SECCOMP[platform.machine()]["clone"]
        flags = 0x10000000 | signal.SIGCHLD  # CLONE_NEWUSER: needs no privilege, only the filter stops it
        pid = libc.syscall(ctypes.c_long(number), ctypes.c_ulong(flags), None, None, None, None)
        if pid == 0:  # pragma: no cover - only if the filter failed
            os._exit(0)
        if pid < 0:
            raise OSError(ctypes.get_errno(), "clone")
        os.waitpid(pid, 0)

    def capabilities(status: str) -> str:
        return next(line.split()[1] for line in status.splitlines() if line.startswith("CapPrm:"))

    def body():
        return {
            "cat readable": run("cat", str(readable / "data.txt")).stdout,
            "cat outside": run("cat", str(outside / "secret.txt")).returncode,
            "capabilities": capabilities(Path("/proc/self/status").read_text()),
            "program capabilities": capabilities(run("cat", "/proc/self/status").stdout),
            "exec from scratch": outcome(lambda: run(str(copied))),
            "new namespace": outcome(clone_user_namespace),
        }

    policy = box_policy(readable, scratch, processes=True, execute=("/usr", "/bin", "/lib", "/lib64"))
    confinement, seen = in_box(policy, body)
    assert "seccomp" in confinement.layers
    assert seen == {
        "cat readable": "readable",
        "cat outside": 1,
        "capabilities": "0000000000000000",
        "program capabilities": "0000000000000000",
        "exec from scratch": "EACCES",
        "new namespace": "EPERM",
    }


@needs_landlock
def test_no_network(folders):
    readable, scratch, _ = folders
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def udp():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"x", ("127.0.0.1", port))

    try:
        confinement, seen = in_box(box_policy(readable, scratch), lambda: {
            "connect": outcome(lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close()),
            "bind": outcome(lambda: socket.create_server(("127.0.0.1", 0)).close()),
            "udp": outcome(udp),
            "unix socket": outcome(lambda: socket.socket(socket.AF_UNIX).close()),
            "socketpair": outcome(lambda: [end.close() for end in socket.socketpair()]),
        })
    finally:
        listener.close()
    assert confinement.network == "namespace"
    # No interface is up in the new namespace; Landlock refuses TCP before it gets that far.
    assert seen["connect"] in ("EACCES", "ENETUNREACH") and seen["bind"] in ("EACCES", "EADDRNOTAVAIL")
    assert seen["udp"] == "ENETUNREACH"
    assert seen["unix socket"] == "EPERM" and seen["socketpair"] == "ok"


@pytest.mark.skipif(PROBE.landlock_abi < 4, reason="Landlock network rules need ABI 4 (Linux 6.7)")
def test_landlock_alone_denies_tcp_when_no_namespace_can_be_made(folders):
    readable, scratch, _ = folders
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def body():
        sandbox._enter_network_namespace = lambda: False  # as in a container that forbids them
        return confine(box_policy(readable, scratch)), {
            "connect": outcome(lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close()),
            "bind": outcome(lambda: socket.create_server(("127.0.0.1", 0)).close()),
        }

    try:
        confinement, seen = in_child(body)
    finally:
        listener.close()
    assert confinement.official and confinement.network == "landlock"
    assert seen == {"connect": "EACCES", "bind": "EACCES"}


@pytest.mark.skipif(PROBE.landlock_abi < 6, reason="Landlock scoping needs ABI 6 (Linux 6.12)")
def test_cannot_signal_or_reach_abstract_sockets_outside_the_box(folders):
    readable, scratch, _ = folders
    name = f"\0cv-grader-test-{os.getpid()}"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(name)
    listener.listen()
    parent = os.getpid()

    def abstract():
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(name)

    def body():
        # Only Landlock's scoping: the network (whose namespace would hide the abstract socket)
        # is allowed and the seccomp filter (which refuses AF_UNIX sockets) is off.
        sandbox._seccomp_table = lambda: None
        confinement = confine(box_policy(readable, scratch, network=True))
        return confinement, {
            "signal parent": outcome(lambda: os.kill(parent, 0)),
            "signal self": outcome(lambda: os.kill(os.getpid(), 0)),
            "abstract socket": outcome(abstract),
        }

    try:
        confinement, seen = in_child(body)
    finally:
        listener.close()
    assert "landlock-scope" in confinement.layers and "seccomp-noproc" not in confinement.layers
    assert seen == {"signal parent": "EPERM", "signal self": "ok", "abstract socket": "EPERM"}


@needs_landlock
def test_no_tampering_with_this_or_other_processes(folders):
    readable, scratch, _ = folders
    parent = os.getpid()

    def ptrace():
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.ptrace(ctypes.c_long(16), ctypes.c_long(parent), None, None) != 0:  # PTRACE_ATTACH
            raise OSError(ctypes.get_errno(), "ptrace")

    def process_vm_writev():
        libc = ctypes.CDLL(None, use_errno=True)
        libc.process_vm_writev.restype = ctypes.c_ssize_t
        if libc.process_vm_writev(parent, None, ctypes.c_ulong(0), None, ctypes.c_ulong(0), ctypes.c_ulong(0)) < 0:
            raise OSError(ctypes.get_errno(), "process_vm_writev")

    _, seen = in_box(box_policy(readable, scratch), lambda: {
        "clear_refs": outcome(lambda: open("/proc/self/clear_refs", "w").close()),
        "own memory": outcome(lambda: open("/proc/self/mem", "wb").close()),
        "parent environment": outcome(lambda: open(f"/proc/{parent}/environ", "rb").read()),
        "ptrace": outcome(ptrace),
        "process_vm_writev": outcome(process_vm_writev),
        "read own status": outcome(lambda: open("/proc/self/status").read()),
    })
    assert seen == {
        "clear_refs": "EACCES",
        "own memory": "EACCES",
        "parent environment": "EACCES",
        "ptrace": "EPERM",
        "process_vm_writev": "EPERM",
        "read own status": "ok",
    }


@needs_landlock
def test_no_changes_to_file_metadata_outside_the_scratch(folders):
    """Landlock leaves modes, owners, times and extended attributes alone; the filter refuses them."""
    readable, scratch, _ = folders
    target = str(readable / "data.txt")

    def fchmod():
        with open(target) as handle:
            os.fchmod(handle.fileno(), 0o777)

    _, seen = in_box(box_policy(readable, scratch), lambda: {
        "chmod": outcome(lambda: os.chmod(target, 0o777)),
        "fchmod": outcome(fchmod),
        "chown": outcome(lambda: os.chown(target, 0, 0)),
        "utime": outcome(lambda: os.utime(target, (0, 0))),
        "setxattr": outcome(lambda: os.setxattr(target, "user.cvg", b"1")),
    })
    assert seen == dict.fromkeys(("chmod", "fchmod", "chown", "utime", "setxattr"), "EPERM")
    assert oct((readable / "data.txt").stat().st_mode & 0o777) != oct(0o777)


@needs_landlock
def test_resource_limits(folders):
    readable, scratch, _ = folders

    def open_many():
        files = [open(os.devnull) for _ in range(64)]
        for file in files:
            file.close()

    _, seen = in_box(box_policy(readable, scratch, file_size_mb=1, open_files=32, address_space_mb=256), lambda: {
        "big file": outcome(lambda: (scratch / "big").write_bytes(bytes(2 * 1024 * 1024))),
        "many files": outcome(open_many),
        "big allocation": outcome(lambda: bytearray(1024 * 1024 * 1024)),
        "small allocation": outcome(lambda: bytearray(16 * 1024 * 1024)),
    })
    assert seen == {"big file": "EFBIG", "many files": "EMFILE", "big allocation": "MemoryError", "small allocation": "ok"}


def reserve_address_space(gib: int) -> None:
    """An inaccessible reservation, as the CUDA driver makes hundreds of gigabytes of at cuInit."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype, libc.mmap.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                                                             ctypes.c_int, ctypes.c_int, ctypes.c_long]
    map_private, map_anonymous, map_noreserve = 0x02, 0x20, 0x4000  # Linux's values
    address = libc.mmap(None, gib << 30, 0, map_private | map_anonymous | map_noreserve, -1, 0)
    if address in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    libc.munmap(ctypes.c_void_p(address), ctypes.c_size_t(gib << 30))


def test_a_gpu_box_caps_memory_by_data_not_address_space(folders):
    readable, scratch, _ = folders
    tries = {
        "reserve 64 GiB": lambda: reserve_address_space(64),
        "big allocation": lambda: bytearray(1024 * 1024 * 1024),
        "small allocation": lambda: bytearray(16 * 1024 * 1024),
    }
    _, seen = in_box(box_policy(readable, scratch, data_mb=256), lambda: {name: outcome(t) for name, t in tries.items()})
    assert seen == {"reserve 64 GiB": "ok", "big allocation": "MemoryError", "small allocation": "ok"}
    _, seen = in_box(box_policy(readable, scratch, address_space_mb=256), lambda: outcome(tries["reserve 64 GiB"]))
    assert seen == "ENOMEM"  # why a GPU box cannot have an address-space cap


@needs_landlock
def test_a_gpu_box_may_name_its_own_threads_as_the_nvidia_driver_does(folders, monkeypatch):
    readable, scratch, _ = folders
    monkeypatch.setattr(sandbox.glob, "glob", lambda pattern: ["/dev/null"] if pattern == "/dev/nvidia*" else [])
    parent = os.getpid()

    def name_a_new_thread() -> dict:
        seen = {}

        def named():
            seen["own thread"] = outcome(lambda: Path(f"/proc/self/task/{threading.get_native_id()}/comm").write_text("cuda-EvtHandlr"))

        thread = threading.Thread(target=named)
        thread.start()
        thread.join()
        seen["other process"] = outcome(lambda: Path(f"/proc/{parent}/comm").write_text("renamed"))
        return seen

    def confined(grant_gpu: bool):
        write = (str(scratch), *(sandbox.gpu_write_paths() if grant_gpu else ()))  # resolved in the box
        return confine(dataclasses.replace(box_policy(readable, scratch), write=write)), name_a_new_thread()

    assert in_child(lambda: confined(True))[1] == {"own thread": "ok", "other process": "EACCES"}
    assert in_child(lambda: confined(False))[1] == {"own thread": "EACCES", "other process": "EACCES"}


def test_refuses_to_confine_a_threaded_process():
    def body():
        release = threading.Event()
        waiter = threading.Thread(target=release.wait)
        waiter.start()
        try:
            confine(Policy())
        except SandboxError as exc:
            return str(exc)
        finally:
            release.set()
            waiter.join()

    assert "thread" in in_child(body)


def test_python_read_paths_grants_site_packages_child_by_child():
    excludes = project_excludes()
    paths = python_read_paths(excludes)
    whole = [path for path in paths if not path.startswith(LIST_ONLY)]
    listed = [path[len(LIST_ONLY):] for path in paths if path.startswith(LIST_ONLY)]
    hidden = [os.path.realpath(path) for path in excludes]
    assert not [path for path in whole if any(path == item or path.startswith(item + "/") for item in hidden)]
    assert "/proc" in whole and "/dev/null" in whole and "/dev" not in whole
    for site in SITE_PACKAGES:
        if any(os.path.dirname(item) == os.path.realpath(site) for item in hidden):
            assert os.path.realpath(site) in listed
            siblings = {os.path.realpath(os.path.join(site, name)) for name in os.listdir(site)} - set(hidden)
            assert siblings and siblings <= set(whole)


def test_python_read_paths_keeps_a_venv_inside_an_excluded_checkout(tmp_path, monkeypatch):
    checkout = tmp_path / "checkout"
    venv = checkout / ".venv"
    site = venv / "lib" / "python3" / "site-packages"
    for folder in (checkout / "grader", site / "numpy", site / "reference", venv / "bin"):
        folder.mkdir(parents=True)
    (site / "_cv_grader_editable.py").write_text("")
    for name in ("prefix", "base_prefix", "exec_prefix"):
        monkeypatch.setattr(sys, name, str(venv))
    monkeypatch.setattr(sys, "path", ["", str(checkout), str(site)])
    paths = python_read_paths([str(checkout), str(site / "reference"), str(site / "_cv_grader_editable.py")])
    mine = [path for path in paths if str(tmp_path) in path]
    assert mine == [
        LIST_ONLY + str(venv),
        str(venv / "bin"),
        LIST_ONLY + str(venv / "lib"),
        LIST_ONLY + str(venv / "lib" / "python3"),
        LIST_ONLY + str(site),
        str(site / "numpy"),
    ]


def test_probe_says_why_a_run_cannot_be_official(monkeypatch):
    if PROBE.landlock_abi:
        assert PROBE.official, PROBE.reason
        assert "landlock-fs" in PROBE.layers
    else:
        assert not PROBE.official and "Landlock" in PROBE.reason
    monkeypatch.setattr(sandbox, "_landlock_abi", lambda: 0)
    monkeypatch.setattr(sandbox, "_can_unshare_network", lambda: False)
    missing = probe()
    assert not missing.official and missing.landlock_abi == 0 and missing.network == "none"
    assert "Landlock is not available" in missing.reason and "network" in missing.reason


def test_without_landlock_confine_applies_the_rest_and_says_so(folders):
    readable, scratch, outside = folders

    def body():
        sandbox._landlock_abi = lambda: 0
        return confine(box_policy(readable, scratch)), outcome(lambda: (outside / "secret.txt").read_text())

    confinement, seen = in_child(body)
    assert not confinement.official and "Landlock is not available" in confinement.reason
    assert "rlimits" in confinement.layers and "landlock-fs" not in confinement.layers
    assert seen == "ok"  # nothing guards the files: hence not official
