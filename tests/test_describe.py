"""grader/describe.py: a ``call:`` line pastes back into Python and rebuilds the exact input."""

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.describe import describe, describe_call

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


def rebuilt(text: str):
    return eval(text, {"torch": torch, "np": np})  # noqa: S307 - the point is that it evaluates


@given(values=st.lists(floats, max_size=12), dtype=st.sampled_from([torch.float32, torch.float64]),
       columns=st.sampled_from([1, 2, 4]))
def test_a_small_tensor_is_rebuilt_exactly(values, dtype, columns):
    values = values[: len(values) // columns * columns]
    tensor = torch.tensor(values, dtype=dtype).reshape(-1, columns)
    back = rebuilt(describe(tensor))
    assert back.dtype == tensor.dtype and back.shape == tensor.shape
    assert torch.equal(back.isnan(), tensor.isnan())
    assert torch.equal(torch.nan_to_num(back, nan=0.0), torch.nan_to_num(tensor, nan=0.0))


@given(value=floats)
def test_a_float_argument_is_rebuilt_exactly(value):
    back = rebuilt(describe(value))
    assert type(back) is float and (back == value or (back != back and value != value))


def test_empty_inputs_keep_their_shape_and_a_call_line_is_valid_python():
    boxes = torch.zeros(0, 4, dtype=torch.float64)
    line = describe_call("nms", (boxes, torch.zeros(0, dtype=torch.float64), 0.5), {},
                         ["boxes", "scores", "iou_threshold"])
    assert line == ("nms(boxes=torch.zeros((0, 4), dtype=torch.float64), "
                    "scores=torch.zeros((0,), dtype=torch.float64), iou_threshold=0.5)")
    arguments = rebuilt(line.replace("nms(", "dict(", 1))
    assert arguments["boxes"].shape == (0, 4) and arguments["iou_threshold"] == 0.5
    assert rebuilt(describe(np.zeros((0, 3), dtype=np.float32))).shape == (0, 3)
