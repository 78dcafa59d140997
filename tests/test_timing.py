"""grader/timing.py: what a speed ratio is made of. The reference's box reports its own work, the
rest of the judge's clock on that call is transport and comes off the candidate's time too, and the
threads of the box being timed are spread over the CPUs rather than left queued on one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from grader import timing

ROOT = Path(__file__).resolve().parents[1]

# Boxes are forked, and a fork of a process whose OpenMP pool has started (any earlier test in this
# pytest worker may have started it) hangs in its first parallel region: the judge forks its boxes
# before it computes anything, so these checks run in a fresh interpreter that does the same.
JUDGE = """
import json, os, sys, tempfile
from pathlib import Path
from grader import timing
from grader.box import BoxSpec, Role, start
from grader.remote import Box
from grader.wire import Kind, Message

root = sys.argv[1]
scratch = tempfile.mkdtemp()
def box(role, **fields):
    b = Box(*start(BoxSpec(role=role, scratch=scratch, output_path=scratch + "/out", project_root=root, **fields)), role.value)
    return b
reference = box(Role.REFERENCE, track="cpp", suite="box_iou")
expected = {"f": {"parameters": ["x"], "text": "f(x)"}}
candidate = box(Role.CANDIDATE, track="python", solution=os.path.join(root, "tests/fixtures/memory/tiny.py"),
                expected=expected)
passing = box(Role.CANDIDATE, track="python", expected=expected,
              solution=os.path.join(root, "tests/fixtures/timing/works_in_a_passing_thread.py"))
import torch
from grader import suites
for b in (reference, candidate, passing):
    b.wait_loaded(60)
cpus = sorted(os.sched_getaffinity(0))
reference.request(Message(Kind.THREADS, {"threads": len(cpus)}))
bench = suites.load(root, "box_iou").benchmark
both = (reference, candidate, passing)
calls = [timing.timed_call(reference, both, "speed", list(bench.make_inputs(2000, torch.Generator()))) for _ in range(3)]
works = [[c.wall_s, c.work_s, c.work_cpu_s, c.main_cpu_s] for c in calls]
values = calls[-1].output.numpy()
plain = [timing.timed_call(candidate, both, "f", [torch.ones(3)]) for _ in range(5)]
hidden = [timing.timed_call(passing, both, "f", [torch.ones(3)]) for _ in range(5)]
reference.cont()
placed = {tid: sorted(os.sched_getaffinity(int(tid))) for tid in os.listdir(f"/proc/{reference.pid}/task")}
print(json.dumps({"works": works, "candidate_work": [plain[0].work_s, plain[0].work_cpu_s], "cpus": cpus,
                  "main": str(reference.pid), "accounted": [timing._accounted(calls), timing._accounted(plain),
                                                            timing._accounted(hidden)],
                  "hidden": [sum(c.threads_cpu_s for c in hidden), sum(c.process_cpu_s for c in hidden)],
                  "placed": placed, "shape": list(values.shape), "in_range": bool(values.min() >= 0 and values.max() <= 1)}))
for b in both:
    b.kill()
"""


@pytest.fixture(scope="module")
def judged():
    done = subprocess.run([sys.executable, "-c", JUDGE, str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_only_the_reference_box_reports_its_work_and_it_fits_in_what_the_judge_measured(judged):
    assert judged["shape"] == [2000, 2000] and judged["in_range"]
    for wall, work, work_cpu, main_cpu in judged["works"]:
        assert 0 < work <= wall and 0 < work_cpu <= main_cpu, judged["works"]
    assert judged["candidate_work"] == [None, None], "a candidate's own account of its time must not be asked for"


def test_cpu_time_of_threads_that_ended_is_not_lost(judged):
    """Each of 5 calls runs ~20 ms of Python in a thread it joins before returning. Where SIGSTOP
    caught the thread still exiting, its time is in the per-thread sum; where it had gone, only the
    process total holds it, and the box must then not be timed by the per-thread CPU clock."""
    reference, plain, hidden = judged["accounted"]
    threads_s, process_s = judged["hidden"]
    assert reference and plain
    assert process_s >= 0.05, f"the process total should hold the threads' work, read {process_s:.3f} s"
    assert not hidden or threads_s >= process_s - 0.015, (
        f"work done in threads that ended vanished: {threads_s:.3f} s per thread against {process_s:.3f} s in all")


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="spreading threads needs two CPUs")
def test_the_timed_boxs_threads_are_spread_over_the_cpus(judged):
    placed, cpus = judged["placed"], judged["cpus"]
    assert len(placed) >= 2, "the compiled reference should run an OpenMP thread besides the main one"
    assert placed[judged["main"]] == [cpus[0]]
    assert all(len(mask) == 1 for mask in placed.values()), placed
    assert len({mask[0] for mask in placed.values()}) == min(len(placed), len(cpus)), placed


def test_transport_measured_on_the_reference_comes_off_both_sides(monkeypatch):
    """By the clock: the reference's call takes 2 ms, 1 ms of it work, the candidate's 5 ms: its work
    is 4 ms, 4x where the raw clocks say 2.5x. On the CPU: 1.5 ms, 1 ms of it work, against 3.5 ms:
    3x (its clock less its wait for a CPU, 5 - 2.5 - 1 = 1.5 ms, is below that)."""

    class FakeBox:
        def __init__(self, name):
            self.name = name

        def alive(self):
            return False

    def fake_timed_call(box, others, function, args):
        if box.name == "reference":  # work 1 ms of 2 ms by the clock; 1 ms of 1.5 ms on the CPU
            return timing.Timed(torch.zeros(1), wall_s=0.002, work_s=0.001, work_cpu_s=0.001, cpu_s=0.0015,
                                main_cpu_s=0.0015, main_delay_s=0.0, threads_cpu_s=0.0015, process_cpu_s=0.0)
        # a busy machine kept the candidate's main thread waiting for a CPU for 2.5 of its 5 ms
        return timing.Timed(torch.zeros(1), wall_s=0.005, work_s=None, work_cpu_s=None, cpu_s=0.0035,
                            main_cpu_s=0.0035, main_delay_s=0.0025, threads_cpu_s=0.0035, process_cpu_s=0.0)

    monkeypatch.setattr(timing, "timed_call", fake_timed_call)
    bench = timing.Benchmark(make_inputs=lambda size, generator: (), check=lambda out, expected: None,
                             fast_reference=None, readable_reference=None)
    wall = timing.measure(FakeBox("candidate"), FakeBox("reference"), bench, 10, seed=0, function="f", budget_s=0,
                          clock="wall")
    assert (wall.clock, wall.ratio, wall.overhead_s, wall.reference_s) == ("wall", pytest.approx(4.0),
                                                                         pytest.approx(0.001), pytest.approx(0.001))
    cpu = timing.measure(FakeBox("candidate"), FakeBox("reference"), bench, 10, seed=0, function="f", budget_s=0)
    assert (cpu.clock, cpu.ratio, cpu.overhead_s) == ("cpu", pytest.approx(3.0), pytest.approx(0.0005))


def test_serial_work_split_between_threads_that_take_turns_is_held_to_its_span(monkeypatch):
    """Two threads that hand 8 ms of serial work back and forth each run 4 ms: "all threads / CPUs"
    says 4 ms on two CPUs, but nothing ran at once, and the main thread's span (8 ms by the clock,
    never waiting for a CPU) says 8 ms, less the 1 ms transport the reference shows."""

    class FakeBox:
        def __init__(self, name):
            self.name = name

        def alive(self):
            return False

    def fake_timed_call(box, others, function, args):
        if box.name == "reference":
            return timing.Timed(torch.zeros(1), wall_s=0.002, work_s=0.001, work_cpu_s=0.001, cpu_s=0.001,
                                main_cpu_s=0.001, main_delay_s=0.0, threads_cpu_s=0.001, process_cpu_s=0.0)
        return timing.Timed(torch.zeros(1), wall_s=0.009, work_s=None, work_cpu_s=None, cpu_s=0.004,
                            main_cpu_s=0.004, main_delay_s=0.0, threads_cpu_s=0.008, process_cpu_s=0.0)

    monkeypatch.setattr(timing, "timed_call", fake_timed_call)
    bench = timing.Benchmark(make_inputs=lambda size, generator: (), check=lambda out, expected: None,
                             fast_reference=None, readable_reference=None)
    m = timing.measure(FakeBox("candidate"), FakeBox("reference"), bench, 10, seed=0, function="f", budget_s=0)
    assert (m.clock, m.ratio) == ("cpu", pytest.approx(8.0))


@pytest.mark.parametrize("ratios, low_ratios, passed, measured", [
    ([0.5], [0.4], True, 1),  # within the threshold at once
    ([1.2, 0.9], [1.1, 0.8], True, 2),  # a near miss is measured again, and passes then
    ([1.2, 1.3, 1.25], [1.1, 1.2, 1.2], False, 3),  # near misses every time: all three attempts
    ([1.7, 0.5], [1.4, 0.4], True, 2),  # over 1.5x, but its fastest quarter is not: measured again
    ([2.5, 0.5], [1.6, 0.4], False, 1),  # a clear miss counts at once
])
def test_a_near_miss_is_measured_again_and_a_clear_miss_counts_at_once(monkeypatch, ratios, low_ratios, passed, measured):
    made = iter(timing.Measurement(size=10, candidate_s=r, reference_s=1.0, spread=0.1, repeats=5, low_ratio=low)
                for r, low in zip(ratios, low_ratios))
    monkeypatch.setattr(timing, "measure", lambda *args, **kwargs: next(made))
    ok, measurements = timing.grade_speed(None, None, None, 10, threshold=1.0, seed=0, function="f")
    assert (ok, len(measurements)) == (passed, measured)
