"""Loading a candidate's solution file inside the worker process.

Everything that can go wrong before the first property runs (a missing file, a syntax error, a
forbidden import, a missing function, a changed signature) becomes a ``LoadError`` that names the
file, the line and what was expected.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

# Importing these would hand a candidate the answer or the grader's own machinery.
ALWAYS_FORBIDDEN = ("reference", "grader", "tests")


class LoadError(Exception):
    def __init__(self, message: str, status: str = "error"):
        super().__init__(message)
        self.status = status


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _matches(name: str, forbidden: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


def forbidden_uses(source: str, filename: str, forbidden: tuple[str, ...]) -> list[str]:
    """Imports of, or attribute paths into, forbidden modules and functions, with their lines."""
    tree = ast.parse(source, filename)
    banned = tuple(forbidden) + ALWAYS_FORBIDDEN
    aliases: dict[str, str] = {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
                found += [f"line {node.lineno}: import {alias.name}" for b in banned if _matches(alias.name, b)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                aliases[alias.asname or alias.name] = full
                if any(_matches(node.module, b) or _matches(full, b) for b in banned):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and not isinstance(getattr(node, "ctx", None), ast.Store):
            dotted = _dotted(node)
            if dotted:
                head, _, rest = dotted.partition(".")
                if head not in aliases:  # a local variable, not a module: `clip.sum()` is not `import clip`
                    continue
                full = aliases[head] + ("." + rest if rest else "")
                if any(_matches(full, b) for b in forbidden):
                    found.append(f"line {node.lineno}: {dotted}")
    found += _dynamic_imports(tree, aliases, banned)
    found += _introspection(tree, aliases)
    return sorted(set(found), key=lambda s: int(s.split(":")[0].split()[1]))


# Functions that import a module named by a string: importlib.import_module("reference.ops.x").
DYNAMIC_IMPORTERS = ("importlib.import_module", "importlib.__import__", "builtins.__import__", "__import__")


# Ways to reach the grading worker's own frames and objects (its result channel, the job) from
# inside the process. A deterrent only: a computed name (getattr(sys, "_get" + "frame")) passes.
INTROSPECTION_CALLS = ("sys._getframe", "inspect.currentframe", "inspect.stack", "inspect.getouterframes",
                       "gc.get_objects", "gc.get_referrers", "sys.setprofile", "sys.settrace")
INTROSPECTION_ATTRS = ("f_back", "f_locals", "f_globals", "tb_frame", "gi_frame", "cr_frame")


def _introspection(tree: ast.AST, aliases: dict[str, str]) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in INTROSPECTION_ATTRS:
            found.append(f"line {node.lineno}: frame introspection .{node.attr}")
        dotted = _dotted(node) if isinstance(node, ast.Attribute) else None
        if dotted:
            head, _, rest = dotted.partition(".")
            full = aliases.get(head, head) + ("." + rest if rest else "")
            if full in INTROSPECTION_CALLS and head in aliases:
                found.append(f"line {node.lineno}: frame introspection {dotted}")
    return found


def _dynamic_imports(tree: ast.AST, aliases: dict[str, str], banned: tuple[str, ...]) -> list[str]:
    """Calls of an importer whose first argument is a string literal naming a forbidden module."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        dotted = _dotted(node.func)
        if not dotted:
            continue
        head, _, rest = dotted.partition(".")
        full = aliases.get(head, head) + ("." + rest if rest else "")
        target = node.args[0]
        if full in DYNAMIC_IMPORTERS and isinstance(target, ast.Constant) and isinstance(target.value, str):
            if any(_matches(target.value, b) for b in banned):
                found.append(f"line {node.lineno}: dynamic import {dotted}({target.value!r})")
    return found


def _exec_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _import_error(path: Path, exc: BaseException) -> LoadError:
    line = ""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(path):
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    if isinstance(exc, SystemExit):
        return LoadError(f"{path}{line}: the solution called sys.exit({exc.code}) while being imported")
    return LoadError(f"{path}{line}: importing the solution raised {type(exc).__name__}: {exc}")


def public_functions(module: ModuleType) -> dict[str, inspect.Signature]:
    """The functions a stub defines for the candidate to implement, in file order."""
    functions = []
    for name, obj in vars(module).items():
        plain = getattr(obj, "py_func", obj)  # a numba dispatcher wraps the Python function
        if inspect.isfunction(plain) and plain.__module__ == module.__name__ and not name.startswith("_"):
            functions.append((plain.__code__.co_firstlineno, name, plain))
    return {name: inspect.signature(obj) for _, name, obj in sorted(functions)}


def load_python(path: Path, stub_path: Path, forbidden: tuple[str, ...], trusted: bool = False) -> dict:
    """The candidate's functions that the stub declares, checked against the stub's signatures."""
    if not path.is_file():
        raise LoadError(f"no solution file at {path}")
    source = path.read_text()
    try:
        compile(source, str(path), "exec")
    except SyntaxError as exc:
        raise LoadError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    if not trusted:
        uses = forbidden_uses(source, str(path), forbidden)
        if uses:
            raise LoadError(
                f"{path} uses what this exercise asks you to write yourself: " + "; ".join(uses),
                status="forbidden",
            )
    expected = public_functions(_exec_module(stub_path, "cvg_stub"))
    try:
        module = _exec_module(path, "cvg_solution")
    except (Exception, SystemExit) as exc:
        raise _import_error(path, exc) from None
    functions = {}
    for name, signature in expected.items():
        candidate = getattr(module, name, None)
        if not callable(candidate):
            raise LoadError(f"{path}: no function {name}{signature}; the stub defines it and the grader calls it")
        wanted = list(signature.parameters)
        try:
            have = list(inspect.signature(getattr(candidate, "py_func", candidate)).parameters)
        except (TypeError, ValueError):
            have = wanted
        if have[: len(wanted)] != wanted:
            line = getattr(getattr(candidate, "__code__", None), "co_firstlineno", "?")
            raise LoadError(
                f"{path}:{line}: {name} takes ({', '.join(have)}); expected the stub's signature {name}{signature}"
            )
        functions[name] = candidate
    return functions
