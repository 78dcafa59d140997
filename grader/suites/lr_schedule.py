"""Properties of a linear warm-up followed by cosine decay, shared by every lr_schedule track."""

import math

from hypothesis import given
from hypothesis import strategies as st

from grader.suite import Suite, context, expect, expect_close
from reference.ops.lr_schedule import warmup_cosine_lr as reference_lr

suite = Suite("lr_schedule")

# Solutions may compute in float32 (torch.cos on a tensor); 1e-6 relative to base_lr accepts that.
RTOL = 1e-6


@st.composite
def schedules(draw, *, min_warmup: int = 0, max_total: int = 400):
    """(total_steps, warmup_steps, base_lr, min_lr) with 0 <= warmup < total and 0 <= min_lr <= base_lr."""
    total = draw(st.integers(1 + min_warmup, max_total))
    warmup = draw(st.integers(min_warmup, total - 1))
    base = draw(st.sampled_from([1e-4, 3e-4, 1e-3, 0.01, 0.1, 0.5, 1.0, 2.5]))
    min_lr = base * draw(st.sampled_from([0.0, 0.0, 0.01, 0.1, 0.5]))
    return total, warmup, base, min_lr


def tol(base_lr):
    return RTOL * base_lr


def lr_at(sol, step, schedule):
    total, warmup, base, min_lr = schedule
    value = sol.warmup_cosine_lr(step, total, warmup, base, min_lr)
    expect(isinstance(value, (int, float)) and not isinstance(value, bool),
           f"warmup_cosine_lr should return a Python float, got {type(value).__name__}: {value!r} (wrap it in float(...))")
    return float(value)


@suite.property("returns a Python float (not a tensor, not a numpy array) for every step")
@given(schedule=schedules(), frac=st.floats(0, 1.2))
def output_contract(sol, schedule, frac):
    total, warmup, base, min_lr = schedule
    step = int(frac * total)
    value = sol.warmup_cosine_lr(step, total, warmup, base, min_lr)
    expect(isinstance(value, (int, float)) and not isinstance(value, bool),
           f"warmup_cosine_lr should return a Python float, got {type(value).__name__}: {value!r} (wrap it in float(...))")
    expect(math.isfinite(float(value)), f"the learning rate must be finite, got {value!r}")


@suite.property("equals the reference schedule at every step (within 1e-6·base_lr)")
@given(schedule=schedules(), frac=st.floats(0, 1.2))
def matches_reference(sol, schedule, frac):
    step = int(frac * schedule[0])
    expect_close(lr_at(sol, step, schedule), reference_lr(step, *schedule), what=f"lr at step {step}",
                 atol=tol(schedule[2]), rtol=0)


@suite.property("worked example from the statement: total 10, warm-up 4, base_lr 1.0, min_lr 0.0")
@given(st.just(None))
def worked_example(sol, _):
    expected = [0.0, 0.25, 0.5, 0.75, 1.0, 0.9330127, 0.75, 0.5, 0.25, 0.0669873, 0.0, 0.0]
    got = [lr_at(sol, step, (10, 4, 1.0, 0.0)) for step in range(12)]
    expect_close(got, expected, what="lr at steps 0..11", atol=1e-6, rtol=0)


@suite.property("step 0 of a warm-up gives learning rate 0: the first update is not taken at full speed")
@given(schedule=schedules(min_warmup=1))
def starts_at_zero(sol, schedule):
    expect_close(lr_at(sol, 0, schedule), 0.0, what="lr at step 0", atol=tol(schedule[2]), rtol=0)


@suite.property("during warm-up the rate climbs in equal steps of base_lr / warmup_steps")
@given(schedule=schedules(min_warmup=2))
def warmup_is_linear(sol, schedule):
    total, warmup, base, _ = schedule
    values = [lr_at(sol, step, schedule) for step in range(min(warmup, 40))]
    steps = [b - a for a, b in zip(values, values[1:])]
    expect_close(steps, [base / warmup] * len(steps), what="increase from one warm-up step to the next",
                 atol=tol(base), rtol=0)


@suite.property("the rate is exactly base_lr at step == warmup_steps, so there is no jump where warm-up hands over to the cosine")
@given(schedule=schedules())
def peak_at_warmup_end(sol, schedule):
    total, warmup, base, _ = schedule
    expect_close(lr_at(sol, warmup, schedule), base, what=f"lr at step {warmup} (= warmup_steps)", atol=tol(base), rtol=0)
    if warmup >= 1:
        before = lr_at(sol, warmup - 1, schedule)
        context(last_warmup_increment=base / warmup)
        expect(base - before <= base / warmup + tol(base),
               f"the rate jumps by {base - before:.6g} from step {warmup - 1} to {warmup}; the warm-up increment is {base / warmup:.6g}")


@suite.property("after warm-up the rate never increases up to total_steps, and halfway through the decay it is (base_lr + min_lr) / 2")
@given(schedule=schedules())
def decay_is_monotone(sol, schedule):
    total, warmup, base, min_lr = schedule
    span = total - warmup
    picks = sorted({warmup + round(span * i / 20) for i in range(21)})
    values = [lr_at(sol, step, schedule) for step in picks]
    for (s0, v0), (s1, v1) in zip(zip(picks, values), zip(picks[1:], values[1:])):
        expect(v1 <= v0 + tol(base), f"the rate rose from {v0:.6g} at step {s0} to {v1:.6g} at step {s1} during the decay")
    if span % 2 == 0:
        mid = warmup + span // 2
        expect_close(lr_at(sol, mid, schedule), (base + min_lr) / 2, what=f"lr halfway through the decay (step {mid})",
                     atol=tol(base), rtol=0)


@suite.property("the rate reaches min_lr exactly at step == total_steps")
@given(schedule=schedules())
def ends_at_min_lr(sol, schedule):
    total, _, base, min_lr = schedule
    expect_close(lr_at(sol, total, schedule), min_lr, what=f"lr at step {total} (= total_steps)", atol=tol(base), rtol=0)


@suite.property("after total_steps the rate stays at min_lr (the cosine does not swing back up)")
@given(schedule=schedules(), extra=st.integers(1, 1000))
def constant_after_total(sol, schedule, extra):
    total, _, base, min_lr = schedule
    step = total + extra
    expect_close(lr_at(sol, step, schedule), min_lr, what=f"lr at step {step}, after total_steps = {total}",
                 atol=tol(base), rtol=0)


@suite.property("with warmup_steps = 0 there is no warm-up: step 0 already gives base_lr (and nothing divides by zero)")
@given(schedule=schedules())
def no_warmup(sol, schedule):
    total, _, base, min_lr = schedule
    schedule = (total, 0, base, min_lr)
    expect_close(lr_at(sol, 0, schedule), base, what="lr at step 0 without warm-up", atol=tol(base), rtol=0)


# Computed with timm 1.x CosineLRScheduler(t_initial=total - warmup, lr_min=min_lr, warmup_t=warmup,
# warmup_lr_init=0, warmup_prefix=True, cycle_limit=1), reading _get_lr(step).
TIMM_VALUES = {
    (100, 10, 3e-4, 1e-5): [(0, 0.0), (1, 3e-05), (5, 0.00015), (9, 0.00027), (10, 0.0003),
                            (11, 0.00029991166991776886), (50, 0.0001801789857617049),
                            (99, 1.0088330082231116e-05), (100, 1e-05), (101, 1e-05)],
    (10, 0, 1.0, 0.1): [(0, 1.0), (1, 0.9779754323328191), (3, 0.8145033635316129), (5, 0.55),
                        (9, 0.12202456766718092), (10, 0.1), (12, 0.1)],
}


@suite.property("agrees with timm's CosineLRScheduler (warm-up from 0, warmup_prefix=True) at fixed points")
@given(key=st.sampled_from(sorted(TIMM_VALUES)))
def matches_timm(sol, key):
    context(timm_settings=f"total={key[0]}, warmup={key[1]}, base_lr={key[2]}, min_lr={key[3]}")
    steps = [s for s, _ in TIMM_VALUES[key]]
    got = [lr_at(sol, s, key) for s in steps]
    expect_close(got, [v for _, v in TIMM_VALUES[key]], what=f"lr at steps {steps}", atol=tol(key[2]), rtol=0)
