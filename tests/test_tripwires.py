"""The box's runtime tripwires (grader/tripwires.py): every spelling of a forbidden call or import is
caught on the candidate's line, and nothing else is.

install() changes its process for good (builtins.__import__, torch's namespaces, sys.modules), so
each scenario runs in a forked child that reports back through a pipe as JSON.
"""

import importlib.util
import json
import os
import select
import signal
import sys
import textwrap
import time
import tomllib
import traceback
from pathlib import Path

import pytest
import torch

import grader.tripwires  # loaded before install(), as in the box
from grader.tripwires import ForbiddenUse

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ["torch.nn.functional.cross_entropy", "torch.nn.CrossEntropyLoss", "torch.nn.functional.log_softmax",
             "torch.nn.functional.conv2d", "torch.nn.modules.loss", "toylib.secret"]


def in_child(scenario, *args, timeout: float = 60.0):
    """scenario(*args) in a forked child; its JSON-able result, or the child's traceback as a failure."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        os.close(read)
        try:
            # An OpenMP pool the parent (a pytest worker) already started does not survive fork: a
            # parallel torch op in the child would wait for its threads forever. One thread runs inline.
            import torch

            torch.set_num_threads(1)
            payload = {"result": scenario(*args)}
        except BaseException:  # noqa: BLE001 - reported to the parent
            payload = {"error": traceback.format_exc()}
        with os.fdopen(write, "w") as out:
            json.dump(payload, out)
        os._exit(0)
    os.close(write)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([read], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                pytest.fail(f"the child did not finish within {timeout} s")
            chunk = os.read(read, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    payload = json.loads(b"".join(chunks) or b'{"error": "the child died without a word"}')
    if "error" in payload:
        pytest.fail("in the child:\n" + payload["error"])
    return payload["result"]


def load(path: Path):
    """The solution as the box loads it."""
    spec = importlib.util.spec_from_file_location("cvg_solution", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["cvg_solution"] = module
    spec.loader.exec_module(module)
    return module


def line_of(source: str, tag: str) -> int:
    """The line of `source` that ends in the comment `# tag`."""
    return next(i for i, text in enumerate(source.splitlines(), 1) if text.rstrip().endswith(f"# {tag}"))


def use(error: ForbiddenUse) -> list[str]:
    return [error.name, error.where]


# One function per way to reach a forbidden object; the tagged line is where each should be caught.
SOLUTION = textwrap.dedent('''
    import functools
    import importlib
    import importlib.util
    import torch
    import torch.nn.functional as F
    import toylib.helper


    def direct(x, y):
        return F.cross_entropy(x, y)  # direct

    def from_import(x, y):
        from torch.nn.functional import cross_entropy  # from_import
        return cross_entropy(x, y)

    def computed_getattr(x, y):
        return getattr(torch.nn.functional, "cross" + "_entropy")(x, y)  # computed_getattr

    def module_dict(x, y):
        return torch.nn.functional.__dict__["cross_entropy"](x, y)  # module_dict

    def reduce(x, y):
        return functools.reduce(F.cross_entropy, [y], x)  # reduce

    def mapped(x, y):
        return list(map(F.cross_entropy, [x], [y]))  # mapped

    def partial(x, y):
        return functools.partial(F.cross_entropy, x)(y)  # partial

    def evaluated(x, y):
        return eval("torch.nn.functional.cross_entropy(x, y)")  # evaluated

    def executed(x, y):
        scope = {"F": F, "x": x, "y": y}
        exec("out = F.cross_entropy(x, y)", scope)  # executed
        return scope["out"]

    def exec_under_another_name(x, y):
        code = compile("F.cross_entropy(x, y)", torch.nn.functional.__file__, "exec")
        exec(code, {"F": F, "x": x, "y": y})  # exec_under_another_name

    def same_builtin_elsewhere(x, y):
        return torch.conv2d(x[None, None], x[None, None])  # same_builtin_elsewhere

    def variable_functions(x, y):
        return torch._VF.conv2d(x[None, None], x[None, None])  # variable_functions

    def tensor_method(x, y):
        return x.log_softmax(1)  # tensor_method

    def unbound_method(x, y):
        return torch.Tensor.log_softmax(x, 1)  # unbound_method

    def loss_class(x, y):
        return torch.nn.CrossEntropyLoss()(x, y)  # loss_class

    def loss_class_alias(x, y):
        return getattr(torch.nn.modules, "loss").CrossEntropyLoss()  # loss_class_alias

    def loss_subclass(x, y):
        class Mine(torch.nn.CrossEntropyLoss):
            pass
        return Mine()  # loss_subclass

    def thread(x, y):
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(F.cross_entropy, x, y).result()  # thread

    def except_exception(x, y):
        try:
            return F.cross_entropy(x, y)  # except_exception
        except Exception:
            return "swallowed"

    def import_reference(x, y):
        import reference  # import_reference

    def import_module_grader(x, y):
        return importlib.import_module("gra" + "der")  # import_module_grader

    def dunder_import_tests(x, y):
        return __import__("grader.suites.nms")  # dunder_import_tests

    def importlib_dunder_import(x, y):
        return importlib.__import__("reference.ops")  # importlib_dunder_import

    def exec_import(x, y):
        exec("import grader.suite")  # exec_import

    def find_spec_reference(x, y):
        return importlib.util.find_spec("reference")  # find_spec_reference

    def bootstrap_import(x, y):
        return importlib._bootstrap._gcd_import("tests")  # bootstrap_import

    def from_import_class(x, y):
        from torch.nn import CrossEntropyLoss  # from_import_class

    def loaded_module(x, y):
        import torch.nn.modules.loss  # loaded_module

    def from_loaded_module(x, y):
        from torch.nn.modules import loss  # from_loaded_module

    def library_part(x, y):
        import toylib.secret  # library_part

    def library_imports_its_own_part(x, y):
        return toylib.helper.load()


    def swallows(x, y):
        try:
            F.cross_entropy(x, y)  # swallows
        except BaseException:
            pass
        return "carried on"

    def renamed(x, y):
        return F.cross_entropy(x, y)

    renamed.__code__ = renamed.__code__.replace(co_filename="/usr/lib/python3/renamed.py")
''')

CAUGHT = {  # case -> the forbidden name it is caught as
    "direct": "torch.nn.functional.cross_entropy",
    "from_import": "torch.nn.functional.cross_entropy",
    "computed_getattr": "torch.nn.functional.cross_entropy",
    "module_dict": "torch.nn.functional.cross_entropy",
    "reduce": "torch.nn.functional.cross_entropy",
    "mapped": "torch.nn.functional.cross_entropy",
    "partial": "torch.nn.functional.cross_entropy",
    "evaluated": "torch.nn.functional.cross_entropy",
    "executed": "torch.nn.functional.cross_entropy",
    "exec_under_another_name": "torch.nn.functional.cross_entropy",
    "same_builtin_elsewhere": "torch.nn.functional.conv2d",
    "variable_functions": "torch.nn.functional.conv2d",
    "tensor_method": "torch.Tensor.log_softmax",
    "unbound_method": "torch.Tensor.log_softmax",
    "loss_class": "torch.nn.CrossEntropyLoss",
    "loss_class_alias": "torch.nn.CrossEntropyLoss",
    "loss_subclass": "torch.nn.CrossEntropyLoss",
    "thread": "torch.nn.functional.cross_entropy",
    "except_exception": "torch.nn.functional.cross_entropy",
    "import_reference": "reference",
    "import_module_grader": "grader",
    "dunder_import_tests": "grader.suites.nms",
    "importlib_dunder_import": "reference.ops",
    "exec_import": "grader.suite",
    "find_spec_reference": "reference",
    "bootstrap_import": "tests",
    "from_import_class": "torch.nn.CrossEntropyLoss",
    "loaded_module": "torch.nn.modules.loss",
    "from_loaded_module": "torch.nn.modules.loss",
    "library_part": "toylib.secret",
}


def make_toylib(root: Path) -> None:
    """A library whose own code imports a part that the exercise forbids to the candidate."""
    (root / "toylib").mkdir()
    (root / "toylib" / "__init__.py").write_text("")
    (root / "toylib" / "secret.py").write_text("VALUE = 42\n")
    (root / "toylib" / "helper.py").write_text("def load():\n    import toylib.secret\n    return toylib.secret.VALUE\n")


def run_cases(path: str, toylib_root: str) -> dict:
    sys.path.insert(0, toylib_root)
    before = sorted(n for n in sys.modules if n.split(".")[0] in ("grader", "tests"))
    wires = grader.tripwires.install(FORBIDDEN, path)
    after = sorted(n for n in sys.modules if n.split(".")[0] in ("grader", "reference", "tests"))
    solution = load(Path(path))
    x, y = torch.randn(4, 5), torch.tensor([0, 1, 2, 3])
    outcome = {}
    for case in [*CAUGHT, "library_imports_its_own_part", "swallows", "renamed"]:
        try:
            returned = getattr(solution, case)(x, y)
            outcome[case] = {"returned": repr(returned)[:80]}
        except ForbiddenUse as error:
            outcome[case] = {"caught": use(error), "message": str(error)}
    with wires.calling_candidate():
        try:
            solution.renamed(x, y)
        except ForbiddenUse as error:
            outcome["renamed_while_calling_candidate"] = {"caught": use(error)}
    return {"outcome": outcome, "tripped": [use(e) for e in wires.tripped], "recorded": len(grader.tripwires.tripped()),
            "before": before, "after": after}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    root = tmp_path_factory.mktemp("tripwires")
    make_toylib(root)
    path = root / "solution.py"
    path.write_text(SOLUTION)
    return in_child(run_cases, str(path), str(root)), str(path)


@pytest.mark.parametrize("case", list(CAUGHT))
def test_caught_on_the_candidates_line(cases, case):
    result, path = cases
    assert result["outcome"][case].get("caught") == [CAUGHT[case], f"{path}:{line_of(SOLUTION, case)}"], result["outcome"][case]


def test_message_names_the_line_and_the_use(cases):
    result, _ = cases
    assert result["outcome"]["direct"]["message"] == (
        f"line {line_of(SOLUTION, 'direct')} uses torch.nn.functional.cross_entropy, which this exercise asks you to write yourself")
    assert "the grader's own code" in result["outcome"]["import_reference"]["message"]


def test_grader_packages_leave_sys_modules(cases):
    result, _ = cases
    assert "grader" in result["before"] and "tests" in result["before"]  # so import_module_grader met a loaded module
    assert result["after"] == ["grader.tripwires"]  # kept for the box: its ForbiddenUse class and record


def test_a_library_may_import_its_own_forbidden_part(cases):
    result, _ = cases
    assert result["outcome"]["library_imports_its_own_part"] == {"returned": "42"}


def test_a_caught_use_is_still_recorded(cases):
    result, path = cases
    assert result["outcome"]["swallows"] == {"returned": "'carried on'"}
    where = f"{path}:{line_of(SOLUTION, 'swallows')}"
    assert ["torch.nn.functional.cross_entropy", where] in result["tripped"]
    assert result["recorded"] == len(result["tripped"]) == len(CAUGHT) + 2  # + swallows + renamed in calling_candidate


def test_renamed_code_is_caught_only_while_the_box_says_it_calls_the_candidate(cases):
    """A known limit of the stack walk: code whose co_filename was rewritten leaves no candidate frame."""
    result, _ = cases
    assert "returned" in result["outcome"]["renamed"]
    assert result["outcome"]["renamed_while_calling_candidate"] == {"caught": ["torch.nn.functional.cross_entropy", ""]}


def run_library_body(path: str) -> dict:
    sys.modules.pop("statistics", None)  # so its module body runs, and imports fractions, inside the candidate's call
    grader.tripwires.install(["fractions"], path)
    solution = load(Path(path))
    outcome = {"statistics": solution.uses_statistics()}
    try:
        solution.uses_fractions()
    except ForbiddenUse as error:
        outcome["fractions"] = use(error)
    return outcome


def test_an_installed_librarys_own_imports_are_not_the_candidates(tmp_path):
    """`import statistics` loads fractions, forbidden here; only the candidate's own import trips."""
    path = tmp_path / "solution.py"
    path.write_text("def uses_statistics():\n    import statistics\n    return statistics.mean([1, 2])\n\n\n"
                    "def uses_fractions():\n    import fractions\n")
    assert in_child(run_library_body, str(path)) == {"statistics": 1.5, "fractions": ["fractions", f"{path}:7"]}


ALLOWED = textwrap.dedent('''
    import importlib
    import json
    import torch
    import torch.nn.functional as F


    def train_step(seed):
        torch.manual_seed(seed)
        math = importlib.import_module("math")
        x = torch.randn(8, 3, 8, 8)
        model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                                    torch.nn.Linear(4 * 8 * 8, 5))
        logits = model(x)
        target = torch.arange(8) % 5
        loss = F.cross_entropy(logits, target) + torch.nn.CrossEntropyLoss()(logits, target)
        probabilities = F.softmax(logits, dim=1)
        loss.backward()
        with torch.no_grad():  # (torch.optim's first step imports torch._dynamo: seconds)
            for parameter in model.parameters():
                parameter -= 0.1 * parameter.grad
        return json.dumps([loss.item(), math.isclose(probabilities.sum().item(), 8.0, rel_tol=1e-5)])
''')


def run_allowed(path: str) -> dict:
    wires = grader.tripwires.install(["torch.nn.functional.log_softmax", "torch.nn.functional.nll_loss"], path)
    return {"out": json.loads(load(Path(path)).train_step(0)), "tripped": [use(e) for e in wires.tripped]}


def test_an_allowed_torch_program_runs(tmp_path):
    path = tmp_path / "solution.py"
    path.write_text(ALLOWED)
    result = in_child(run_allowed, str(path))
    assert result["tripped"] == []
    loss, sums_to_one = result["out"]
    assert loss > 0 and sums_to_one


def run_library_side(path: str) -> dict:
    x, y = torch.randn(4, 5), torch.tensor([0, 1, 2, 3])
    made_before = torch.nn.CrossEntropyLoss()
    expected = float(torch.nn.functional.cross_entropy(x, y))
    wires = grader.tripwires.install(FORBIDDEN, path)
    load(Path(path))
    # The grader's side of the box, and torch's internals: no candidate frame on the stack.
    values = [float(torch.nn.functional.cross_entropy(x, y)), float(made_before(x, y)),
              float(torch.nn.CrossEntropyLoss()(x, y)),  # its forward calls the wired F.cross_entropy
              float(-x.log_softmax(1)[torch.arange(4), y].mean())]
    imported = importlib.import_module("json").dumps([1]) == "[1]"  # imports outside candidate code work
    return {"expected": expected, "values": values, "tripped": [use(e) for e in wires.tripped], "imported": imported,
            "isinstance": [isinstance(made_before, torch.nn.CrossEntropyLoss),
                           isinstance(made_before, torch.nn.modules.loss.CrossEntropyLoss),
                           type(made_before) is torch.nn.CrossEntropyLoss]}


def test_library_code_outside_the_candidate_is_not_flagged(tmp_path):
    path = tmp_path / "solution.py"
    path.write_text("import torch\n")
    result = in_child(run_library_side, str(path))
    assert result["tripped"] == []
    assert result["values"] == pytest.approx([result["expected"]] * 4)
    assert result["isinstance"] == [True, True, True]
    assert result["imported"]


def run_module_level(path: str) -> list:
    grader.tripwires.install(FORBIDDEN, path)
    try:
        load(Path(path))
    except ForbiddenUse as error:
        return use(error)
    return []


def test_a_forbidden_import_at_load_time_names_its_line(tmp_path):
    path = tmp_path / "solution.py"
    path.write_text("import torch\n\nfrom torch.nn import functional as F, CrossEntropyLoss\n")
    assert in_child(run_module_level, str(path)) == ["torch.nn.CrossEntropyLoss", f"{path}:3"]


def run_install(forbidden: list, path: str) -> list:
    return grader.tripwires.install(forbidden, path).wired


def test_every_challenges_list_installs():
    """Each list whose packages are installed here (where others are, they resolve the same way)."""
    wired = {}
    for toml in sorted(ROOT.glob("challenges/*/challenge.toml")):
        forbidden = tomllib.loads(toml.read_text()).get("forbidden", [])
        if any(importlib.util.find_spec(name.split(".")[0]) for name in forbidden):
            wired[toml.parent.name] = in_child(run_install, forbidden, "/nonexistent/solution.py")
    assert "torch.nn.functional.conv2d" in wired["conv2d"] and "torch.nn.Conv2d" in wired["conv2d"]
    assert "torch.Tensor.log_softmax" in wired["label_smoothing"] and "torch.ops.aten.log_softmax" in wired["label_smoothing"]
    assert "torch.Tensor.unfold" not in wired["conv2d"]  # F.unfold (im2col) is not Tensor.unfold (a view)


def test_forbidden_use_is_not_an_exception():
    error = ForbiddenUse("torchvision.ops.nms", "/x/solution.py:12")
    assert not isinstance(error, Exception)
    assert str(error) == "line 12 uses torchvision.ops.nms, which this exercise asks you to write yourself"
