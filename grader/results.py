"""Results of a grading run, and their machine-readable forms (JSON, JUnit XML)."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from grader import __version__

SCHEMA = 1


@dataclass
class TestResult:
    name: str
    status: str
    message: str = ""
    description: str = ""
    example: list[str] = field(default_factory=list)
    duration_s: float = 0.0


@dataclass
class Measurement:
    """One graded (or reported) measurement of a challenge: the candidate's figure as a ratio of a
    reference's, the threshold it is held to (None when only reported), and the raw figures."""

    name: str  # "speed" or "memory"
    ratio: float
    threshold: float | None
    passed: bool
    of: str  # what the ratio is a multiple of, in words: "the reference's time"
    figures: dict = field(default_factory=dict)  # sizes, seconds, bytes, attempts, growth: as measured

    @property
    def graded(self) -> bool:
        return self.threshold is not None

    def text(self) -> str:
        verdict = f"at most {self.threshold:g}×, {'passed' if self.passed else 'failed'}" if self.graded else "reported"
        return f"{self.name}: {self.ratio:.3g}× {self.of} ({verdict})"


MEASURED_AS = {"speed": "the reference's time", "memory": "the naive loss's extra peak memory"}


def measurement_from(name: str, figures: dict, status: str) -> Measurement:
    """A judge's figures (the dict a "speed" or "memory" test carries) as a Measurement."""
    rest = {k: v for k, v in figures.items() if k not in ("ratio", "threshold", "graded")}
    return Measurement(name=name, ratio=float(figures["ratio"]), threshold=figures.get("threshold"),
                       passed=status == "passed", of=MEASURED_AS.get(name, name), figures=rest)


@dataclass
class ChallengeResult:
    id: str
    status: str
    duration_s: float = 0.0
    tests: list[TestResult] = field(default_factory=list)
    message: str = ""
    title: str = ""
    track: str = ""
    solution: str = ""
    output: str = ""
    replay: dict[str, str] = field(default_factory=dict)
    points: int = 0
    measurements: list[Measurement] = field(default_factory=list)
    bench: list[dict] | None = None  # `grader bench`: one row per size
    sandbox: dict | None = None  # {"official": bool, "reason": str}: how the candidate's box was confined

    @property
    def failures(self) -> list[TestResult]:
        return [t for t in self.tests if t.status not in ("passed", "skipped")]

    def measurement(self, name: str) -> Measurement | None:
        return next((m for m in self.measurements if m.name == name), None)


@dataclass
class RunResult:
    challenges: list[ChallengeResult]
    profile: str
    seed: int | None
    official: bool = True
    notes: list[str] = field(default_factory=list)
    # Why the run is not official (None when it is): the files that differ from the manifest.
    unofficial_reason: str | None = None
    # What the seed replays with: hypothesis draws other examples from one seed in other versions.
    versions: dict[str, str | None] = field(default_factory=dict)
    # grade-fork: the upstream graded with, {"repository", "ref", "commit"} (the ref resolved).
    upstream: dict[str, str] | None = None
    # When the run ended (UTC, ISO 8601): orders one student's runs in a roster report.
    graded_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    @property
    def passed(self) -> bool:
        return all(c.status in ("passed", "skipped") for c in self.challenges)

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "grader_version": __version__,
            "graded_at": self.graded_at,
            "profile": self.profile,
            "seed": self.seed,
            "versions": self.versions,
            "upstream": self.upstream,
            "official": self.official,
            "unofficial_reason": self.unofficial_reason,
            "notes": self.notes,
            "hardware": hardware(),
            "challenges": [asdict(c) for c in self.challenges],
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")

    def write_junit(self, path: Path) -> None:
        suites = ElementTree.Element("testsuites", name="cv-grader")
        for challenge in self.challenges:
            cases = challenge.tests or [TestResult(name="load", status=challenge.status, message=challenge.message)]
            suite = ElementTree.SubElement(
                suites,
                "testsuite",
                name=challenge.id,
                tests=str(len(cases)),
                failures=str(sum(t.status == "failed" for t in cases)),
                errors=str(sum(t.status not in ("passed", "failed", "skipped") for t in cases)),
                skipped=str(sum(t.status == "skipped" for t in cases)),
                time=f"{challenge.duration_s:.3f}",
            )
            if challenge.measurements:
                properties = ElementTree.SubElement(suite, "properties")
                for m in challenge.measurements:
                    for key, value in (("ratio", m.ratio), ("threshold", m.threshold), ("passed", m.passed)):
                        if value is not None:
                            ElementTree.SubElement(properties, "property", name=f"{m.name}.{key}", value=str(value))
            for test in cases:
                case = ElementTree.SubElement(suite, "testcase", classname=challenge.id, name=test.name, time=f"{test.duration_s:.3f}")
                replay = challenge.replay.get(test.name, "")
                text = "\n".join([test.message, *test.example, *([f"replay: {replay}"] if replay else [])])
                if test.status == "failed":
                    ElementTree.SubElement(case, "failure", message=test.message[:200]).text = text
                elif test.status == "skipped":
                    ElementTree.SubElement(case, "skipped", message=test.message[:200])
                elif test.status != "passed":
                    ElementTree.SubElement(case, "error", message=f"{test.status}: {test.message[:200]}").text = text
        path.parent.mkdir(parents=True, exist_ok=True)
        ElementTree.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def hardware() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    gpu = None
    try:
        import subprocess

        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, timeout=5)
        gpu = out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None
    except (OSError, subprocess.SubprocessError):
        gpu = None
    return {"cpu": cpu, "gpu": gpu, "python": platform.python_version(), "platform": platform.platform()}
