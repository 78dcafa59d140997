"""Run one command inside a Landlock sandbox: ``python -I -S confined_exec.py POLICY -- COMMAND...``.

``POLICY`` is a JSON object (or ``@FILE``, a file holding one) with ``read``, ``write`` and
``execute`` lists (paths) and, optionally, ``file_size_mb`` and ``open_files``. This process is single-threaded: it confines itself
(``grader.sandbox.confine`` with ``processes=True``, so the command may start the programs it needs,
and ``network=False``), then replaces itself with the command. The limits bind the command and all
its children. The build uses it for every tool that reads a candidate's source (grader/building.py):
launching through a fresh interpreter, instead of confining in a ``preexec_fn``, keeps it safe to
build from threads.

The network is cut by a new user + network namespace entered here, not by ``confine``'s, because
this one maps the caller's uid and gid to themselves: in an unmapped namespace every process is uid
65534 and ``setresuid(-1, getuid(), -1)`` fails, which breaks ``make`` (its ``posix_spawn`` resets
ids). Where namespaces are refused, ``confine`` falls back to Landlock's network rules.

Exit status 126 with a message on stderr: the confinement could not be applied (the command did not
run); 127: the command could not be started.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys

if __name__ == "__main__" and not __package__:  # run as a file (-I: no working directory on sys.path)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from grader import sandbox  # noqa: E402 - after the path above; stdlib only


def policy_from(spec: dict) -> sandbox.Policy:
    return sandbox.Policy(read=tuple(spec.get("read", ())), write=tuple(spec.get("write", ())),
                          execute=tuple(spec.get("execute", ())), processes=True, network=False,
                          file_size_mb=spec.get("file_size_mb", 64), open_files=spec.get("open_files", 256))


def _enter_mapped_network_namespace() -> bool:
    """A new user + network namespace where this process keeps its uid and gid; False when the
    kernel refuses namespaces (nothing changed). Raises OSError when the ids cannot be mapped."""
    import ctypes

    uid, gid = os.getuid(), os.getgid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(sandbox._CLONE_NEWUSER | sandbox._CLONE_NEWNET) != 0:
        return False
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)
    return True


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: confined_exec.py POLICY_JSON -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    try:
        text = argv[0]
        if text.startswith("@"):
            with open(text[1:]) as handle:
                text = handle.read()
        policy = policy_from(json.loads(text))
        if _enter_mapped_network_namespace():
            policy = dataclasses.replace(policy, network=True)  # cut already: no second, unmapped namespace
        applied = sandbox.confine(policy)
    except (sandbox.SandboxError, OSError, ValueError, TypeError, AttributeError) as exc:
        print(f"cv-grader: cannot confine the build: {exc}", file=sys.stderr)
        return 126
    if "landlock-fs" not in applied.layers:
        print(f"cv-grader: cannot confine the build: {applied.reason}", file=sys.stderr)
        return 126
    command = argv[2:]
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        print(f"cv-grader: cannot run {command[0]}: {exc}", file=sys.stderr)
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
