"""What the judge checks of a solution before its box loads it, and the error both report.

Everything that can go wrong before the first property runs (a missing file, a syntax error, a
forbidden import, a missing function, a changed signature) becomes a ``LoadError`` that names the
file, the line and what was expected. The judge reads files here as text only; the box
(``grader.box``) is what imports the solution.
"""

from __future__ import annotations

import ast
from pathlib import Path

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


def stub_functions(stub_path: Path) -> dict[str, dict]:
    """The functions a stub declares for the candidate to implement, in file order, read from its
    syntax (the judge never runs a file it did not write): name -> parameter names and the text of
    the signature, for messages."""
    tree = ast.parse(stub_path.read_text(), str(stub_path))
    functions = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            arguments = node.args
            parameters = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
            parameters += [a.arg for a in ([arguments.vararg] if arguments.vararg else [])]
            parameters += [a.arg for a in arguments.kwonlyargs]
            text = f"{node.name}({ast.unparse(arguments)})" + (f" -> {ast.unparse(node.returns)}" if node.returns else "")
            functions[node.name] = {"parameters": parameters, "text": text}
    return functions


def check_source(path: Path, forbidden: tuple[str, ...], trusted: bool = False) -> None:
    """What can be said of a python solution from its text alone: it exists, parses, and names no
    forbidden module (the early, friendly form of what the box enforces where the code runs)."""
    if not path.is_file():
        raise LoadError(f"no solution file at {path}")
    try:
        source = path.read_text()
        compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise LoadError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError) as exc:
        raise LoadError(f"{path}: the file cannot be read as Python source: {type(exc).__name__}: {exc}") from None
    if trusted:
        return
    try:
        uses = forbidden_uses(source, str(path), forbidden)
    except (RecursionError, MemoryError):
        raise LoadError(f"{path}: the source is nested too deeply to check") from None
    if uses:
        raise LoadError(f"{path} uses what this exercise asks you to write yourself: " + "; ".join(uses),
                        status="forbidden")
