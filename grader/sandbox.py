"""Irreversibly confine the current process before it runs a candidate's code.

``confine(policy)`` is meant for a freshly forked child that has not started a thread yet: the
user namespace, ``no_new_privs``, Landlock and seccomp all bind only the calling thread and the
threads it starts afterwards, and ``unshare(CLONE_NEWUSER)`` refuses a multi-threaded process. So
it checks ``Threads:`` and refuses to run otherwise. Threads started later (torch, OpenMP, numba)
inherit every layer.

Layers, in the order they are applied:

1. rlimits (address space on top of what is already mapped, or data for a GPU box; CPU, file
   size, open files, no core);
2. a new user + network namespace when the network is denied: the box sees no interface but a
   down loopback. As root nothing else changes: without uid maps the kernel still checks files
   against the real uid, so reading the interpreter and writing the scratch folder work
   (tests/test_sandbox.py checks it); ``os.getuid()`` then says 65534;
3. ``no_new_privs`` and an empty capability set, so running as root grants nothing beyond the
   file modes and nothing can be regained through a set-uid or file-capability binary;
4. Landlock: reads only under ``read``, writes only under ``write``, ``execve`` only under
   ``execute``; no TCP bind/connect (ABI >= 4); no signals to, and no abstract-socket
   connections with, processes outside the box (ABI >= 6);
5. seccomp: no new processes or programs (threads still work), no debugging or memory access to
   other processes, no namespaces, mounts, BPF, perf, userfaultfd, io_uring, kernel keyrings or
   modules, and no ``AF_UNIX`` sockets (Landlock up to ABI 7 does not guard connecting to a
   socket file, e.g. a Docker socket, which root could otherwise open; socketpair() stays).

The system calls are made with ctypes. Of the PyPI bindings, ``landlock`` has only development
releases and ``pyseccomp`` (2021) needs the libseccomp shared library at run time; the few
structures needed here are stable kernel ABI, so a dependency would add more than it saves.
"""

from __future__ import annotations

import ctypes
import errno
import glob
import os
import platform
import resource
import stat
import struct
import sys
from dataclasses import dataclass
from typing import Iterable

# A ``read`` entry "list:<dir>" lets the box list <dir> and every folder below it, but read no file
# there: for a folder granted child by child, whose listing the import system needs. A consumer
# unaware of the prefix sees a path that does not exist and grants nothing (fails closed).
LIST_ONLY = "list:"


class SandboxError(Exception):
    """Confinement was requested and could not be applied as asked."""


@dataclass(frozen=True)
class Policy:
    read: tuple[str, ...] = ()  # trees or single files that may be read (and mmapped); see LIST_ONLY
    write: tuple[str, ...] = ()  # trees or files that may be read and written (create, remove, truncate...)
    execute: tuple[str, ...] = ()  # trees where execve is allowed (and reading, which execve needs)
    processes: bool = False  # False: no fork/vfork/non-thread clone, no execve/execveat (threads work)
    network: bool = False  # False: no network
    address_space_mb: int | None = None  # RLIMIT_AS on top of the current VmSize
    data_mb: int | None = None  # RLIMIT_DATA on top of the current VmData: a GPU box's cap (see gpu_write_paths)
    cpu_s: int | None = None  # RLIMIT_CPU: SIGXCPU at cpu_s, SIGKILL a second later
    file_size_mb: int | None = 64  # RLIMIT_FSIZE (Python ignores SIGXFSZ, so writes raise EFBIG)
    open_files: int | None = 256  # RLIMIT_NOFILE


@dataclass(frozen=True)
class Confinement:
    official: bool  # every layer applied: Landlock fs + no processes + no network (as asked)
    reason: str  # when not official, why
    landlock_abi: int  # 0 when missing
    network: str  # "namespace" | "landlock" | "none"
    layers: tuple[str, ...]  # what was (or, from probe(), would be) applied


# --- kernel constants -------------------------------------------------------------------------

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_CLONE_THREAD = 0x00010000
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
_CLONE_NAMESPACES = 0x7E020000

_PR_GET_SECCOMP = 21
_PR_SET_SECCOMP = 22
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_MODE_FILTER = 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

# Landlock syscalls have the same numbers on every architecture.
_NR_LANDLOCK_CREATE_RULESET = 444
_NR_LANDLOCK_ADD_RULE = 445
_NR_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1

_FS_EXECUTE = 1 << 0
_FS_WRITE_FILE = 1 << 1
_FS_READ_FILE = 1 << 2
_FS_READ_DIR = 1 << 3
_FS_REMOVE_DIR = 1 << 4
_FS_REMOVE_FILE = 1 << 5
_FS_MAKE_CHAR = 1 << 6
_FS_MAKE_DIR = 1 << 7
_FS_MAKE_REG = 1 << 8
_FS_MAKE_SOCK = 1 << 9
_FS_MAKE_FIFO = 1 << 10
_FS_MAKE_BLOCK = 1 << 11
_FS_MAKE_SYM = 1 << 12
_FS_REFER = 1 << 13  # ABI 2
_FS_TRUNCATE = 1 << 14  # ABI 3
_FS_IOCTL_DEV = 1 << 15  # ABI 5
_NET_BIND_TCP = 1 << 0  # ABI 4
_NET_CONNECT_TCP = 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
_SCOPE_SIGNAL = 1 << 1
_LANDLOCK_MAX_ABI = 7  # ABI 7 only added audit-log flags; later ABIs keep these rights

# Rights the kernel accepts on a rule for a single file (the others only make sense on folders).
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_READ = _FS_READ_FILE | _FS_READ_DIR
# MAKE_CHAR / MAKE_BLOCK are handled and never granted.
_WRITE = (
    _READ | _FS_WRITE_FILE | _FS_REMOVE_DIR | _FS_REMOVE_FILE | _FS_MAKE_DIR | _FS_MAKE_REG
    | _FS_MAKE_SOCK | _FS_MAKE_FIFO | _FS_MAKE_SYM | _FS_REFER | _FS_TRUNCATE
)
# Harmless sinks every program expects to be able to write to.
_ALWAYS_WRITABLE = ("/dev/null",)

_AF_UNIX = 1
_ENOSYS_RET = 0x00050000 | errno.ENOSYS  # SECCOMP_RET_ERRNO | ENOSYS
_EPERM_RET = 0x00050000 | errno.EPERM
_ALLOW_RET = 0x7FFF0000
_KILL_PROCESS_RET = 0x80000000
_X32_SYSCALL_BIT = 0x40000000

# Per architecture: audit arch, numbers denied in every box, numbers denied when processes=False
# (fork/vfork exist only on x86_64), clone3, clone, socket.
_SECCOMP = {
    "x86_64": dict(
        arch=0xC000003E,
        always=(
            101, 310, 311, 272, 308,  # ptrace, process_vm_readv/writev, unshare, setns
            165, 166, 428, 429, 430, 431, 432, 433, 442,  # mount, umount2, new mount API
            321, 298, 323, 425, 426, 427,  # bpf, perf_event_open, userfaultfd, io_uring_*
            246, 320, 175, 313, 176,  # kexec_load, kexec_file_load, init/finit/delete_module
            438, 248, 249, 250,  # pidfd_getfd, add_key, request_key, keyctl
        ),
        processes=(57, 58, 59, 322),  # fork, vfork, execve, execveat
        # Landlock does not cover a file's metadata, and the box's real uid may own the checkout:
        # chmod/chown families, utime families, setxattr/removexattr families.
        metadata=(90, 91, 92, 93, 94, 260, 268, 452, 132, 235, 261, 280,
                  188, 189, 190, 197, 198, 199, 463, 466),
        clone3=435, clone=56, socket=41,
    ),
    "aarch64": dict(
        arch=0xC00000B7,
        always=(
            117, 270, 271, 97, 268,
            40, 39, 428, 429, 430, 431, 432, 433, 442,
            280, 241, 282, 425, 426, 427,
            104, 294, 105, 273, 106,
            438, 217, 218, 219,
        ),
        processes=(221, 281),  # execve, execveat
        metadata=(52, 53, 54, 55, 452, 88, 5, 6, 7, 14, 15, 16, 463, 466),
        clone3=435, clone=220, socket=198,
    ),
}

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
if _libc is not None:
    _libc.syscall.restype = ctypes.c_long


def _syscall(number: int, *args) -> int:
    return _libc.syscall(ctypes.c_long(number), *args)


def _prctl(option: int, arg2: int = 0, arg3=0) -> int:
    # Explicit unsigned longs: the kernel reads whole registers.
    arg3 = ctypes.c_ulong(arg3) if isinstance(arg3, int) else arg3
    return _libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg2), arg3, ctypes.c_ulong(0), ctypes.c_ulong(0))


def _oserror(what: str) -> SandboxError:
    code = ctypes.get_errno()
    return SandboxError(f"{what} failed: {os.strerror(code)} (errno {code})")


# --- probing ----------------------------------------------------------------------------------


def _landlock_abi() -> int:
    if _libc is None:
        return 0
    abi = _syscall(_NR_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION))
    return max(abi, 0)  # ENOSYS (old kernel, or a container's seccomp profile), EOPNOTSUPP (disabled)


def _seccomp_table() -> dict | None:
    if _libc is None or _prctl(_PR_GET_SECCOMP) < 0:
        return None
    return _SECCOMP.get(platform.machine())


def _threads() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))


def _enter_network_namespace() -> bool:
    # A user namespace first, so that no privilege is needed for the network one.
    return _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0


def _can_unshare_network() -> bool:
    """Whether a child of this process may create a user + network namespace (tried, not guessed:
    sysctls, AppArmor and container runtimes can each forbid it)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the throwaway child
        os._exit(0 if _enter_network_namespace() else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _verdict(abi: int, network: str, seccomp: bool, policy: Policy) -> tuple[bool, str]:
    reasons = []
    if not sys.platform.startswith("linux"):
        reasons.append(f"Landlock and seccomp are Linux features; this is {sys.platform}")
    elif abi == 0:
        reasons.append(
            "Landlock is not available on this kernel (older than 5.13, not enabled at boot via lsm=,"
            " or blocked by a container's seccomp profile)"
        )
    if sys.platform.startswith("linux") and not policy.processes and not seccomp:
        reasons.append(f"no seccomp filter for this architecture ({platform.machine()}) or kernel, so processes cannot be denied")
    if not policy.network and network == "none":
        reasons.append("neither a network namespace nor Landlock network rules (ABI 4, Linux 6.7) are available")
    return not reasons, "; ".join(reasons)


def probe() -> Confinement:
    """What ``confine(Policy())`` would achieve here; applies nothing (forks one throwaway child)."""
    policy = Policy()
    abi = _landlock_abi()
    seccomp = _seccomp_table() is not None
    layers = ["rlimits"]
    network = "none"
    if _libc is not None:
        if _can_unshare_network():
            network = "namespace"
            layers.append("userns+netns")
        layers += ["no_new_privs", "drop-caps"]
    if abi:
        layers.append("landlock-fs")
        if abi >= 4:
            layers.append("landlock-net")
            network = "landlock" if network == "none" else network
        if abi >= 6:
            layers.append("landlock-scope")
    if seccomp:
        layers.append("seccomp-noproc")
    official, reason = _verdict(abi, network, seccomp, policy)
    return Confinement(official, reason, abi, network, tuple(layers))


# --- applying ---------------------------------------------------------------------------------


def _set_limit(which: int, soft: int, hard: int | None = None) -> None:
    # Soft and hard together, so the box cannot raise them back; never above the current hard
    # limit (raising it needs privileges, and would loosen what the caller already set).
    _, current = resource.getrlimit(which)

    def capped(value: int) -> int:
        return value if current == resource.RLIM_INFINITY else min(value, current)

    resource.setrlimit(which, (capped(soft), capped(soft if hard is None else hard)))


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def _apply_rlimits(policy: Policy) -> None:
    if os.path.exists("/proc/self/status"):  # Linux only
        if policy.address_space_mb is not None:
            _set_limit(resource.RLIMIT_AS, _status_kb("VmSize") * 1024 + policy.address_space_mb * 1024 * 1024)
        if policy.data_mb is not None:
            _set_limit(resource.RLIMIT_DATA, _status_kb("VmData") * 1024 + policy.data_mb * 1024 * 1024)
    if policy.cpu_s is not None:
        # The soft limit sends SIGXCPU, which says what happened; the hard one, a second later,
        # SIGKILL for a box that catches it.
        _set_limit(resource.RLIMIT_CPU, policy.cpu_s, policy.cpu_s + 1)
    if policy.file_size_mb is not None:
        _set_limit(resource.RLIMIT_FSIZE, policy.file_size_mb * 1024 * 1024)
    if policy.open_files is not None:
        _set_limit(resource.RLIMIT_NOFILE, policy.open_files)
    _set_limit(resource.RLIMIT_CORE, 0)  # a core dump would be a write outside the policy


def _drop_capabilities() -> None:
    header = ctypes.create_string_buffer(struct.pack("Ii", _LINUX_CAPABILITY_VERSION_3, 0), 8)
    data = ctypes.create_string_buffer(24)  # two {effective, permitted, inheritable} words, all empty
    if _libc.capset(header, data) != 0:
        raise _oserror("capset")


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _handled_fs(abi: int) -> int:
    # The kernel docs' best-effort downgrade: handle every right this kernel knows, no more.
    if abi >= 5:
        return (1 << 16) - 1
    if abi >= 3:
        return (1 << 15) - 1
    if abi >= 2:
        return (1 << 14) - 1
    return (1 << 13) - 1


def _landlock_rules(policy: Policy) -> list[tuple[str, int]]:
    rules = [(path, _READ) for path in policy.read if not path.startswith(LIST_ONLY)]
    rules += [(path[len(LIST_ONLY):], _FS_READ_DIR) for path in policy.read if path.startswith(LIST_ONLY)]
    rules += [(path, _WRITE) for path in (*policy.write, *_ALWAYS_WRITABLE)]
    rules += [(path, _READ | _FS_EXECUTE) for path in policy.execute]
    return rules


def _add_rule(ruleset: int, path: str, access: int, handled: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SandboxError(f"cannot open {path} for a Landlock rule: {exc}") from exc
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            if access == _FS_READ_DIR:
                return  # a listing right means nothing on a file
            access &= _FILE_RIGHTS  # the kernel refuses folder rights on a file
        if _within(os.path.realpath(path), "/dev"):
            access |= _FS_IOCTL_DEV  # GPU drivers (torch, numba) talk to their devices by ioctl
        attr = _PathBeneathAttr(access & handled, fd)
        if _syscall(_NR_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(attr), ctypes.c_uint32(0)) != 0:
            raise _oserror(f"landlock_add_rule({path})")
    finally:
        os.close(fd)


def _apply_landlock(policy: Policy, abi: int, layers: list[str]) -> None:
    handled = _handled_fs(abi)
    attr = _RulesetAttr(handled, 0, 0)
    if abi >= 4 and not policy.network:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP  # and no rule: all denied
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
    ruleset = _syscall(_NR_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        raise _oserror("landlock_create_ruleset")
    try:
        for path, access in _landlock_rules(policy):
            _add_rule(ruleset, path, access, handled)
        if _syscall(_NR_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise _oserror("landlock_restrict_self")
    finally:
        os.close(ruleset)
    layers.append("landlock-fs")
    if attr.handled_access_net:
        layers.append("landlock-net")
    if attr.scoped:
        layers.append("landlock-scope")


def _bpf(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _seccomp_program(table: dict, processes: bool) -> bytes:
    load, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ/JGE/JSET|K, BPF_RET|K
    nr, arch, arg0_low = 0, 4, 16  # offsets in struct seccomp_data (little-endian)
    prog = [_bpf(load, arch), _bpf(jeq, table["arch"], 1, 0), _bpf(ret, _KILL_PROCESS_RET), _bpf(load, nr)]
    if table["arch"] == _SECCOMP["x86_64"]["arch"]:
        # x32 system calls share the x86_64 audit arch under other numbers: refuse them all.
        prog += [_bpf(jge, _X32_SYSCALL_BIT, 0, 1), _bpf(ret, _ENOSYS_RET)]
    # ENOSYS, not EPERM, for clone3: glibc then falls back to clone, whose flags a filter can read
    # (clone3 passes them in memory), so threads and, where allowed, processes keep working.
    denied = [(n, _EPERM_RET) for n in table["always"]] + [(table["clone3"], _ENOSYS_RET)]
    if not processes:  # the box; a compiler's toolchain sets modes on what it writes
        denied += [(n, _EPERM_RET) for n in (*table["processes"], *table["metadata"])]
    for number, action in denied:
        prog += [_bpf(jeq, number, 0, 1), _bpf(ret, action)]
    # socket(AF_UNIX, ...) is refused; socketpair() stays (it reaches nothing outside).
    prog += [
        _bpf(jeq, table["socket"], 0, 4),
        _bpf(load, arg0_low),
        _bpf(jeq, _AF_UNIX, 0, 1),
        _bpf(ret, _EPERM_RET),
        _bpf(ret, _ALLOW_RET),
    ]
    # clone never creates a namespace; without processes it must make a thread (CLONE_THREAD).
    threads_only = [] if processes else [_bpf(jset, _CLONE_THREAD, 0, 2)]
    prog += [
        _bpf(jeq, table["clone"], 0, 4 + len(threads_only)),
        _bpf(load, arg0_low),
        *threads_only,
        _bpf(jset, _CLONE_NAMESPACES, 1, 0),
        _bpf(ret, _ALLOW_RET),
        _bpf(ret, _EPERM_RET),
    ]
    prog.append(_bpf(ret, _ALLOW_RET))
    return b"".join(prog)


def _apply_seccomp(table: dict, processes: bool) -> None:
    program = _seccomp_program(table, processes)
    buffer = ctypes.create_string_buffer(program, len(program))

    class _Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = _Fprog(len(program) // 8, ctypes.addressof(buffer))
    if _prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog)) != 0:
        raise _oserror("seccomp")


def confine(policy: Policy) -> Confinement:
    """Apply ``policy`` to this process, for good. Call before any thread starts.

    On Linux every layer this kernel supports is applied and a failure raises ``SandboxError``;
    without Landlock (or off Linux) the rest is applied and the result says ``official=False``
    with the reason.
    """
    linux = _libc is not None
    if linux and _threads() > 1:
        raise SandboxError("confine() must run before any thread starts (this process has several)")
    layers: list[str] = []
    try:
        _apply_rlimits(policy)
    except (OSError, ValueError, StopIteration) as exc:
        if linux:
            raise SandboxError(f"setting resource limits failed: {exc}") from exc
    else:
        layers.append("rlimits")
    if not linux:
        official, reason = _verdict(0, "none", False, policy)
        return Confinement(official, reason, 0, "none", tuple(layers))

    network = "none"
    if not policy.network and _enter_network_namespace():
        network = "namespace"
        layers.append("userns+netns")
    if _prctl(_PR_SET_NO_NEW_PRIVS, 1) != 0:
        raise _oserror("prctl(PR_SET_NO_NEW_PRIVS)")
    layers.append("no_new_privs")
    _drop_capabilities()
    layers.append("drop-caps")

    abi = _landlock_abi()
    if abi:
        _apply_landlock(policy, abi, layers)
        if network == "none" and "landlock-net" in layers:
            network = "landlock"

    table = _seccomp_table()
    if table is not None:
        _apply_seccomp(table, policy.processes)
        layers.append("seccomp" if policy.processes else "seccomp-noproc")
    official, reason = _verdict(abi, network, table is not None, policy)
    return Confinement(official, reason, abi, network, tuple(layers))


# --- what an interpreter needs ----------------------------------------------------------------

# Outside the interpreter's own trees: the dynamic loader's cache, the time zone, user names.
_ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group")
# Not all of /dev: as root that would include raw disks and the kernel log.
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def _within(path: str, tree: str) -> bool:
    return path == tree or path.startswith(tree.rstrip("/") + "/")


# What the editable install puts into site-packages: the compiled reference, the finder that maps
# ``grader``/``reference`` to the checkout, and its metadata.
PROJECT_ITEMS = ("reference", "grader", "tests", "_cv_grader", "__editable__", "_editable", "cv_grader")


def gpu_write_paths() -> list[str]:
    """What the NVIDIA driver writes, for a box that uses the GPU: its device files, which it opens
    read-write, and this process's own ``/proc/<pid>/task``: driver 570 and later name the threads
    they start by writing ``/proc/self/task/<tid>/comm``, and cuInit fails with error 304
    (CUDA_ERROR_OPERATING_SYSTEM) when that is refused. Every CUDA box failed so on an H200 before
    this grant; that the grant is the whole cure is inferred, not yet seen on a GPU.

    Call it in the process about to be confined: ``/proc/self`` is resolved now, and Landlock
    binds the rule to that process's folder, so no other process's entries become writable.

    Such a box also needs ``Policy.data_mb`` rather than ``address_space_mb``: the driver reserves
    address space in the hundreds of gigabytes (inaccessible mappings, which RLIMIT_DATA does not
    count), so any useful RLIMIT_AS would stop it."""
    devices = sorted(glob.glob("/dev/nvidia*"))
    return [*devices, os.path.realpath("/proc/self/task")] if devices else []


def installed_checkouts() -> list[str]:
    """Checkouts of the project other than the graded one that the box could find: the one the
    running grader and reference are imported from (an editable install), and any on
    ``sys.path``. ``grade-fork`` and the Gradescope run grade a separate tree, so hiding the
    graded root alone would leave these readable."""
    import importlib.util

    found = set()
    for name in ("grader", "reference"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            found.add(os.path.dirname(os.path.dirname(os.path.realpath(spec.origin))))
    for entry in sys.path:
        if entry and os.path.isdir(os.path.join(entry, "reference", "ops")):
            found.add(os.path.realpath(entry))
    return sorted(p for p in found if os.path.basename(p) not in ("site-packages", "dist-packages"))


def project_paths(root: str) -> list[str]:
    """What of the project confined code must not read: the graded checkout, the checkout the
    grader itself runs from, and the project's items in every site-packages folder (pass the
    result to ``python_read_paths(exclude=...)``)."""
    import site

    hidden = [root] if root else []
    hidden += installed_checkouts()
    for directory in {*site.getsitepackages(), site.getusersitepackages(), *sys.path}:
        if directory and os.path.isdir(directory) and os.path.basename(directory) in ("site-packages", "dist-packages"):
            hidden += [os.path.join(directory, n) for n in os.listdir(directory) if n.startswith(PROJECT_ITEMS)]
    return hidden


def python_read_paths(exclude: Iterable[str] = ()) -> tuple[str, ...]:
    """The read grants an interpreter with torch, numpy and numba needs, minus ``exclude``.

    Nothing inside an excluded item is granted. A folder that contains one (site-packages holding
    the editable install's ``reference/`` and finder) is granted child by child, plus a
    ``LIST_ONLY`` entry so imports can list it. The interpreter's prefixes are granted even inside
    an excluded tree (a venv inside the excluded checkout), with the exclusions below them kept.

    GPU device files (``/dev/nvidia*``) are listed for reading; CUDA opens them read-write, so a
    box that uses the GPU needs them in ``Policy.write`` too.
    """
    excluded = {os.path.realpath(path) for path in exclude}
    prefixes = {os.path.realpath(path) for path in (sys.prefix, sys.base_prefix, sys.exec_prefix)}

    def hidden(path: str) -> bool:
        return any(
            _within(path, tree) and not any(_within(prefix, tree) and _within(path, prefix) for prefix in prefixes)
            for tree in excluded
        )

    granted: set[str] = set()

    def grant(path: str) -> None:
        path = os.path.realpath(path)
        if not os.path.exists(path) or hidden(path):
            return
        if not any(tree != path and _within(tree, path) for tree in excluded) or not os.path.isdir(path):
            granted.add(path)
            return
        granted.add(LIST_ONLY + path)
        for name in os.listdir(path):
            grant(os.path.join(path, name))

    candidates = [
        *sorted(prefixes), "/usr", "/lib", "/lib64", "/bin", "/opt", "/proc", "/sys",
        *_ETC_FILES, *_DEVICES, *sorted(glob.glob("/dev/nvidia*")),
        # "" is the working directory at import time: the caller grants that explicitly if needed.
        *(entry for entry in sys.path if entry),
    ]
    for candidate in candidates:
        grant(candidate)
    # Drop what a whole-tree grant already covers, so the policy reads well in a record.
    whole = {path for path in granted if not path.startswith(LIST_ONLY)}

    def covered(path: str) -> bool:
        parent = os.path.dirname(path)
        while parent != path:
            if parent in whole:
                return True
            path, parent = parent, os.path.dirname(parent)
        return False

    kept = [path for path in granted if not covered(path.removeprefix(LIST_ONLY))]
    return tuple(sorted(kept, key=lambda path: path.removeprefix(LIST_ONLY)))
