"""Forbidden APIs enforced where the candidate's code runs, installed in the box before the solution loads.

``loading.forbidden_uses`` reads the source and gives the early, friendly message, but it cannot see a
name that is computed: ``getattr(F, "cross" + "_entropy")``, ``__import__("gra" + "der")``, ``eval`` of
a string. These wires sit on the objects themselves, so every spelling that ends in a call or an
import meets them:

- an import guard on ``builtins.__import__``, ``importlib.import_module`` and ``importlib.__import__``,
  which checks the name even when the module is already in ``sys.modules`` (the box has torch and the
  grader loaded before the solution), backed by a ``sys.meta_path`` finder for the import machinery's
  other doors; ``reference``, ``grader`` and ``tests`` are dropped from ``sys.modules`` so they can
  only come back through that finder;
- a wire on every forbidden function and class that exists here, on each module attribute that holds
  it, and on the matching ``torch.Tensor`` method.

A wire trips only when the candidate's file is on the Python stack, or the thread was started from
it, or the box said it is calling candidate code (``calling_candidate``). Library code calling the
same function for its own reasons goes straight to the original, and a library importing its own
forbidden parts (torch loading torch._C pieces) is not the candidate importing them. The line
reported is the innermost candidate frame.

What is loaded stays loaded: a module that is forbidden as a whole (``torch`` in the Numba exercises)
is only refused at import, while ``sys.modules["torch"]`` still reaches it; objects without a Python
attribute to replace (``torch._C._VariableFunctions.log_softmax``, ``torch._C.TensorBase`` methods)
cannot be wired; a wrapper's ``__closure__`` holds the original. The static scan and the box's
process isolation cover what this cannot.
"""

from __future__ import annotations

import _thread
import builtins
import contextlib
import importlib
import importlib.util
import inspect
import os
import sys
import sysconfig
import threading
import types
from typing import Sequence

from grader.loading import ALWAYS_FORBIDDEN, _matches


_installed: Tripwires | None = None  # the wires install() put up in this process

# Where installed libraries and the standard library live (the box lets the candidate write only to
# its scratch folder, so no module of its own can be there).
_LIBRARY_DIRS = tuple(sorted({os.path.join(path, "") for key, path in sysconfig.get_paths().items()
                              if key in ("stdlib", "platstdlib", "purelib", "platlib")}))


class ForbiddenUse(BaseException):
    """A forbidden module or function used by the candidate's code.

    A BaseException, so that ``except Exception`` in the solution does not swallow it.
    """

    def __init__(self, name: str, where: str = ""):
        super().__init__(name, where)  # args rebuild it when pickled
        self.name = name
        self.where = where  # "path/solution.py:LINE", or "" when no candidate frame was found

    def __str__(self) -> str:
        who = f"line {self.where.rpartition(':')[2]}" if self.where else "the solution"
        if self.name.split(".")[0] in ALWAYS_FORBIDDEN:
            return f"{who} imports {self.name}, the grader's own code, which a solution may not use"
        return f"{who} uses {self.name}, which this exercise asks you to write yourself"


class Tripwires:
    """The installed wires; ``tripped`` keeps every use, also those the candidate caught."""

    def __init__(self, forbidden: Sequence[str], solution_file: str):
        self.forbidden = tuple(forbidden)
        self.banned = self.forbidden + ALWAYS_FORBIDDEN
        self.solution_file = str(solution_file)
        # co_filename is the path the solution was loaded under; accept its other spellings too.
        self._files = {self.solution_file, os.path.abspath(self.solution_file), os.path.realpath(self.solution_file)}
        self.tripped: list[ForbiddenUse] = []
        self.wired: list[str] = []  # the forbidden functions and classes that got a wire
        self._mode_class = None  # set by install() when the exercise forbids something in torch
        # .where is set in threads the candidate started and inside calling_candidate().
        self._local = threading.local()
        # Where each forbidden package's own code lives, for _library_import.
        self._package_dirs = {top: _package_dirs(top) for top in {b.split(".")[0] for b in self.forbidden}
                              if top not in ALWAYS_FORBIDDEN}

    @contextlib.contextmanager
    def calling_candidate(self):
        """Count everything inside as candidate code, for the box to wrap its calls into the solution:
        a solution function whose ``__code__`` was given another file name is then still caught, and
        so is a forbidden torch function reached where no wrapper can sit (``torch._C`` objects)."""
        outer = getattr(self._local, "where", None)
        self._local.where = "" if outer is None else outer
        try:
            with self._torch_mode() or contextlib.nullcontext():
                yield
        finally:
            self._local.where = outer

    def _torch_mode(self):
        """A fresh torch function mode for one candidate call, or None when the exercise forbids
        nothing in torch (see ``_forbidden_torch_mode``)."""
        return self._mode_class() if self._mode_class is not None else None

    # --- deciding -------------------------------------------------------------------------------

    def candidate_where(self) -> str | None:
        """"file:line" of the innermost candidate frame, "" when only the thread is the candidate's,
        None when the candidate is not involved."""
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename in self._files:
                return f"{self.solution_file}:{frame.f_lineno}"
            frame = frame.f_back
        return getattr(self._local, "where", None)

    def _trip(self, name: str, where: str):
        use = ForbiddenUse(name, where)
        self.tripped.append(use)
        raise use

    def _check_call(self, name: str):
        where = self.candidate_where()
        if where is not None:
            self._trip(name, where)

    def _check_import(self, names: Sequence[str], importer: types.FrameType | None):
        for name in names:
            hit = next((b for b in self.banned if _matches(name, b)), None)
            if hit is None:
                continue
            where = self.candidate_where()
            if where is None:
                return
            if not self._library_import(hit, importer):
                self._trip(name, where)

    def _library_import(self, banned: str, importer: types.FrameType | None) -> bool:
        """An import a library makes for itself while the candidate is on the stack: a package loading
        its own parts (torch loads torch._C pieces lazily), or an installed library's module body
        (the candidate's `import matplotlib` loads PIL). The grader's packages never pass."""
        top = banned.split(".")[0]
        if importer is None or top in ALWAYS_FORBIDDEN or importer.f_code.co_filename in self._files:
            return False
        filename = importer.f_code.co_filename
        if any(filename.startswith(d + os.sep) for d in self._package_dirs.get(top, ())):
            return True
        return importer.f_code.co_name == "<module>" and filename.startswith(_LIBRARY_DIRS)

    # --- import guard ---------------------------------------------------------------------------

    def _guard_dunder_import(self, original):
        def __import__(name, globals=None, locals=None, fromlist=(), level=0):
            full = name
            if level:
                package = (globals or {}).get("__package__") or ""
                with contextlib.suppress(ImportError, ValueError):
                    full = importlib.util.resolve_name("." * level + name, package)
            # `from torchvision import ops` asks for torchvision; the name it wants is torchvision.ops.
            wanted = [full] + [f"{full}.{item}" for item in fromlist or () if isinstance(item, str) and item != "*"]
            self._check_import(wanted, sys._getframe(1))
            return original(name, globals, locals, fromlist, level)
        return __import__

    def _guard_import_module(self, original):
        def import_module(name, package=None):
            full = name
            if name.startswith("."):
                with contextlib.suppress(ImportError, ValueError, TypeError):
                    full = importlib.util.resolve_name(name, package)
            self._check_import([full], sys._getframe(1))
            return original(name, package)
        return import_module

    def _importer_frame(self) -> types.FrameType | None:
        """The frame that asked for an import, skipping the import machinery and this file."""
        machinery = os.path.dirname(importlib.__file__) + os.sep
        frame = sys._getframe(1)
        while frame is not None:
            filename = frame.f_code.co_filename
            if not (filename.startswith("<frozen importlib") or filename.startswith(machinery) or filename == __file__):
                return frame
            frame = frame.f_back
        return None

    # --- function and class wires -----------------------------------------------------------------

    def _wire_routine(self, name: str, original):
        def tripwire(*args, **kwargs):
            self._check_call(name)
            return original(*args, **kwargs)
        # No functools.wraps: its __wrapped__ would hand the original to anyone who asks.
        for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
            with contextlib.suppress(AttributeError, TypeError):
                setattr(tripwire, attr, getattr(original, attr))
        tripwire.__tripwire__ = name
        return tripwire

    def _wire_class(self, name: str, cls: type) -> bool:
        """Trip on construction, patching the class in place rather than swapping in a subclass, so
        isinstance checks on objects the library made keep working and candidate subclasses trip too."""
        if getattr(vars(cls).get("__init__"), "__tripwire__", None):
            return True
        try:
            cls.__init__ = self._wire_routine(name, cls.__init__)  # maybe inherited: wired here, for this name
        except TypeError:  # a C type cannot be patched
            return False
        return True

    def _wire(self, name: str, swaps: dict[int, tuple[object, object]]) -> bool:
        found = _resolve(name)
        if found is None:
            return False
        owner, attr, obj = found
        if isinstance(obj, type):
            return self._wire_class(name, obj)
        if getattr(obj, "__tripwire__", None) or id(obj) in swaps:
            return True  # the same object under another name (torch.conv2d is F.conv2d)
        raw = inspect.getattr_static(owner, attr) if isinstance(owner, type) else obj
        if isinstance(raw, (staticmethod, classmethod)):
            wire = type(raw)(self._wire_routine(name, raw.__func__))
        elif inspect.isroutine(obj):
            wire = self._wire_routine(name, obj)
        elif callable(obj):
            wire = _WiredCallable(self, name, obj)  # a torch.ops overload packet, with .default
        else:
            return False
        try:
            setattr(owner, attr, wire)
        except (TypeError, AttributeError):  # read-only, as on torch._C types
            return False
        swaps[id(obj)] = (obj, wire)
        return True


class _WiredCallable:
    """Stands in for a callable object that is not a function (``torch.ops.aten.log_softmax``); its
    attributes pass through, and the callable ones (``.default``, the overloads) are wired too."""

    def __init__(self, wires: Tripwires, name: str, original):
        self._wires, self._name, self._original = wires, name, original
        self.__tripwire__ = name

    def __call__(self, *args, **kwargs):
        self._wires._check_call(self._name)
        return self._original(*args, **kwargs)

    def __getattr__(self, attr):
        value = getattr(self._original, attr)
        if callable(value) and not attr.startswith("__"):
            value = _WiredCallable(self._wires, f"{self._name}.{attr}", value)
            setattr(self, attr, value)  # the same object next time: torch keys tables by overload
        return value


class _Refuser:
    """sys.meta_path's first finder: a forbidden module that is not loaded yet cannot be found by the
    candidate through any door of the import machinery (importlib.util.find_spec, _bootstrap)."""

    def __init__(self, wires: Tripwires):
        self.wires = wires

    def find_spec(self, name, path=None, target=None):
        self.wires._check_import([name], self.wires._importer_frame())
        return None  # not ours to find: the next finder looks


def _package_dirs(top: str) -> tuple[str, ...]:
    """Where a package's own code lives, as its frames' co_filename spells it."""
    module = sys.modules.get(top)
    try:
        spec = None if module else importlib.util.find_spec(top)
        locations = getattr(module, "__path__", None) if module else spec.submodule_search_locations
    except Exception:  # not installed, or a broken package: nothing of it can import itself
        return ()
    return tuple(str(d).rstrip(os.sep) for d in locations or ())


def _importable(top: str) -> bool:
    if top in sys.modules:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except Exception:
        return False


def _resolve(name: str):
    """(owner, attribute, object) for a forbidden function or class; None for a module (the import
    guard's job) and for what does not exist here (torchvision is usually not installed)."""
    parts = name.split(".")
    if len(parts) < 2 or not _importable(parts[0]) or name in sys.modules:
        return None
    with contextlib.suppress(Exception):  # find_spec raises when the parent is not a package
        if importlib.util.find_spec(name) is not None:
            return None
    for cut in range(len(parts) - 1, 0, -1):  # the longest prefix that imports: torch.ops, then .aten.log_softmax
        try:
            owner = importlib.import_module(".".join(parts[:cut]))
        except Exception:
            continue
        try:
            for attr in parts[cut:-1]:
                owner = getattr(owner, attr)
            obj = getattr(owner, parts[-1])
        except AttributeError:
            return None
        return None if isinstance(obj, types.ModuleType) else (owner, parts[-1], obj)
    return None


def _forbidden_torch_mode(wires: Tripwires, names: set[str], modules: tuple[str, ...]):
    """A torch function mode class that trips on the forbidden torch functions, whatever path the
    candidate took to them (``torch._C._VariableFunctions.log_softmax``, ``torch._C.TensorBase``
    methods): torch routes every torch function through the active mode. Calls that torch's own
    code makes inside one are not seen (a mode is off inside its handler), so an allowed function
    built on a forbidden one stays allowed. None when the exercise forbids nothing in torch."""
    if not names and not modules:
        return None
    from torch.overrides import TorchFunctionMode

    class ForbiddenTorch(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", "") or ""
            module = getattr(func, "__module__", None) or ""
            if name.strip("_") in names or any(m == "torch" or module == m or module.startswith(m + ".")
                                               for m in modules):
                wires._trip(f"{module}.{name}" if module else f"torch.{name}", wires.candidate_where() or "")
            return func(*args, **(kwargs or {}))

    return ForbiddenTorch


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:  # noqa: BLE001 - a parent that is not a package
        return False


def _torch_rules(forbidden: Sequence[str]) -> tuple[set[str], tuple[str, ...]]:
    """(function names, whole modules) of torch that ``forbidden`` names: a function is matched by
    its name (``_log_softmax`` and ``log_softmax_`` are the same operation), a module by prefix."""
    names, modules = set(), []
    for entry in forbidden:
        if entry != "torch" and not entry.startswith("torch."):
            continue
        if _resolve(entry) is not None:  # a function or a class
            names.add(entry.rsplit(".", 1)[1].strip("_"))
        elif entry == "torch" or entry in sys.modules or _module_exists(entry):
            modules.append(entry)
    return names, tuple(modules)


def _with_tensor_methods(forbidden: Sequence[str]) -> list[str]:
    """torch.log_softmax forbidden forbids logits.log_softmax() too. Only where torch has the same
    name: F.unfold (im2col) is not Tensor.unfold (a sliding view), and torch has no unfold."""
    names = list(forbidden)
    torch = sys.modules.get("torch")
    for name in forbidden:
        module, _, attr = name.rpartition(".")
        if torch is not None and module in ("torch", "torch.nn.functional") and hasattr(torch, attr):
            names += [f"torch.Tensor.{a}" for a in (attr, attr + "_") if hasattr(torch.Tensor, a)]
    return list(dict.fromkeys(names))


def _swap_aliases(tops: set[str], swaps: dict[int, tuple[object, object]]):
    """Every module attribute that holds a wired original now holds its wire: torch.conv2d and
    F.conv2d are two names for one builtin, and torch's own modules import functions by name."""
    for modname, module in list(sys.modules.items()):
        if module is None or modname.split(".")[0] not in tops:
            continue
        try:
            namespace = vars(module)
        except TypeError:
            continue
        for key, value in list(namespace.items()):
            if id(value) in swaps and swaps[id(value)][0] is value:
                with contextlib.suppress(TypeError, AttributeError):
                    setattr(module, key, swaps[id(value)][1])
    # torch._VF looks names up lazily in torch._C._VariableFunctions (read-only): give it the wires.
    vf = sys.modules.get("torch._VF")
    for original, wire in swaps.values() if vf is not None else ():
        name = getattr(original, "__name__", None)
        if name and getattr(vf, name, None) is original:
            setattr(vf, name, wire)


def _spawner(wires: Tripwires, original):
    """A thread the candidate starts runs as the candidate: ThreadPoolExecutor().submit(F.cross_entropy,
    ...) leaves no candidate frame on the worker's stack."""
    def start(function, *args, **kwargs):
        where = wires.candidate_where()
        if where is not None:
            return original(_as_candidate(wires, where, function), *args, **kwargs)
        return original(function, *args, **kwargs)
    return start


def _as_candidate(wires: Tripwires, where: str, function):
    def run(*args, **kwargs):
        wires._local.where = where
        return function(*args, **kwargs)
    return run


def install(forbidden: Sequence[str], solution_file: str) -> Tripwires:
    """Wire this process for one solution; call it after the box holds what it needs from the grader."""
    wires = Tripwires(forbidden, solution_file)
    # Built now: once the import guard is up, looking names up (or importing torch.overrides) from a
    # candidate call would trip it.
    wires._mode_class = _forbidden_torch_mode(wires, *_torch_rules(wires.forbidden))
    # Functions and classes first: resolving them may import, and the import guard is not up yet.
    swaps: dict[int, tuple[object, object]] = {}  # id(original) -> (original, wire)
    for name in _with_tensor_methods(wires.forbidden):
        if wires._wire(name, swaps):
            wires.wired.append(name)
    _swap_aliases({name.split(".")[0] for name in wires.forbidden}, swaps)

    builtins.__import__ = wires._guard_dunder_import(builtins.__import__)
    importlib.__import__ = wires._guard_dunder_import(importlib.__import__)
    importlib.import_module = wires._guard_import_module(importlib.import_module)
    sys.meta_path.insert(0, _Refuser(wires))
    for module in (_thread, threading):
        for attr in ("start_new_thread", "start_new", "_start_new_thread", "start_joinable_thread",
                     "_start_joinable_thread"):
            if callable(getattr(module, attr, None)):
                setattr(module, attr, _spawner(wires, getattr(module, attr)))
    # The grader's packages leave sys.modules, so `import grader` has to go through the guard and the
    # finder; the box keeps its own references to what it still needs. This module stays: the box
    # imports ForbiddenUse and tripped() from it after install, and a fresh copy would have another
    # ForbiddenUse class and no record.
    for name in [n for n in sys.modules if any(_matches(n, a) for a in ALWAYS_FORBIDDEN)]:
        if name != __name__:
            del sys.modules[name]
    global _installed
    _installed = wires
    return wires


def tripped() -> list[ForbiddenUse]:
    """Every forbidden use seen since install(), also those the solution caught."""
    return list(_installed.tripped) if _installed is not None else []
