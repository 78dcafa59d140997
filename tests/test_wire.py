"""grader/wire.py and grader/remote.py: what crosses between judge and box is data, rebuilt as plain
values; malformed or oversize data is refused; gradients and aliases survive the trip."""

import os
import struct
import threading
from pathlib import Path

import pytest
import torch
from torch import nn

from grader import wire
from grader.box import BoxSpec, Role, start
from grader.remote import Box, BoxGone, Solution
from grader.suite import PropertyFailure
from grader.wire import Kind, Message

ROOT = Path(__file__).resolve().parents[1]


def round_trip(value, inputs=None):
    read, write = os.pipe()
    sender = threading.Thread(target=wire.send, args=(write, Message(Kind.RESULT, {"value": value}), inputs))
    sender.start()
    try:
        return wire.receive(read, inputs=inputs).fields["value"]
    finally:
        sender.join()
        os.close(read)
        os.close(write)


def test_plain_values_come_back_as_themselves():
    value = [1, 2.5, float("nan"), float("-inf"), "s", None, True, (1, (2,)), {"a": [1], 3: "x"}, torch.float64,
             torch.device("cpu"), torch.Size([2, 3])]
    back = round_trip(value)
    assert back[0:2] == [1, 2.5] and back[2] != back[2] and back[3] == float("-inf")
    assert back[4:] == ["s", None, True, (1, (2,)), {"a": [1], 3: "x"}, torch.float64, torch.device("cpu"), (2, 3)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool, torch.bfloat16, torch.uint8])
def test_tensors_keep_dtype_shape_and_values(dtype):
    t = (torch.arange(24) % 5).to(dtype).reshape(2, 3, 4)[:, 1:, ::2]  # not contiguous
    back = round_trip([t, t[0, 0, :1], torch.empty(0, 3, dtype=dtype)])
    assert back[0].dtype == dtype and torch.equal(back[0], t) and type(back[0]) is torch.Tensor
    assert torch.equal(back[1], t[0, 0, :1]) and back[2].shape == (0, 3)


def test_a_tensor_subclass_or_foreign_object_arrives_as_what_it_was():
    class Liar(torch.Tensor):
        pass

    class Thing:
        pass

    back = round_trip([torch.ones(2).as_subclass(Liar), Thing(), nn.Conv2d(1, 1, 1).__class__])
    assert all(isinstance(v, wire.Unsupported) for v in back)
    assert "subclass Liar" in back[0].what and "Thing" in back[1].what


def test_allow_listed_modules_are_rebuilt_with_their_weights_and_flags():
    conv = nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2, bias=False).double().eval()
    seq = nn.Sequential(nn.Linear(2, 3), nn.GELU(approximate="tanh"))
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    back_conv, back_seq, back_attention = round_trip([conv, seq, attention])
    assert type(back_conv) is nn.Conv2d and back_conv.stride == (2, 2) and back_conv.bias is None
    assert not back_conv.training and back_conv.weight.dtype == torch.float64
    assert torch.equal(back_conv.weight, conv.weight) and back_seq[1].approximate == "tanh"
    x = torch.randn(1, 5, 4)
    assert torch.equal(back_attention(x, x, x)[0], attention(x, x, x)[0])


def test_a_module_subclass_is_not_rebuilt():
    class Sneaky(nn.Conv2d):
        def forward(self, x):
            return x

    (back,) = round_trip([Sneaky(1, 1, 1)])
    assert isinstance(back, wire.Unsupported) and "Sneaky" in back.what


def test_a_returned_view_of_an_input_stays_a_view_of_the_judges_input():
    x = torch.arange(6.0)
    back = round_trip(x[2:], inputs=[x])
    assert back.untyped_storage().data_ptr() == x.untyped_storage().data_ptr() and torch.equal(back, x[2:])


def frame(header: dict, buffers: list[bytes], lengths=None) -> bytes:
    import json

    body = json.dumps(header).encode()
    lengths = json.dumps(lengths if lengths is not None else [len(b) for b in buffers]).encode()
    return (struct.pack("<Q", len(lengths)) + lengths + struct.pack("<QQ", len(body), sum(map(len, buffers)))
            + body + b"".join(buffers))


@pytest.mark.parametrize("header, buffers, words", [
    ({"kind": "result", "fields": {"$dict": [["value", {"$tensor": 0, "dtype": "float32", "shape": [3]}]]}},
     [b"\0" * 8], "came with 8 bytes"),
    ({"kind": "result", "fields": {"$dict": [["value", {"$tensor": 0, "dtype": "object", "shape": [1]}]]}},
     [b"\0" * 8], "not one the grader accepts"),
    ({"kind": "result", "fields": {"$dict": [["value", {"$tensor": 5, "dtype": "float32", "shape": [1]}]]}},
     [b"\0" * 4], "buffer that is not there"),
    ({"kind": "result", "fields": {"$dict": [["value", {"$pickle": "gASVBQAAAAAAAACMAXiULg=="}]]}}, [], "unknown value"),
    ({"kind": "result", "fields": {"$dict": [["value", {"$module": "Evil", "init": {"$dict": []}}]]}}, [], "allow-list"),
    ({"kind": "exec", "fields": {"$dict": []}}, [], "unknown message kind"),
])
def test_malformed_messages_are_refused(header, buffers, words):
    read, write = os.pipe()
    os.write(write, frame(header, buffers))
    with pytest.raises(wire.WireError, match=words):
        wire.receive(read)
    os.close(read)
    os.close(write)


def test_an_oversize_frame_is_refused_before_it_is_read():
    read, write = os.pipe()
    os.write(write, struct.pack("<Q", 2) + b"[1]" [:2] + struct.pack("<QQ", 10, 1 << 40))
    with pytest.raises(wire.FrameError):
        wire.receive(read, limit=1 << 20)
    os.close(read)
    os.close(write)


# --- through a real box ----------------------------------------------------------------------------


@pytest.fixture
def box_for(tmp_path):
    started = []

    def make(source: str, expected: dict) -> Solution:
        path = tmp_path / "solution.py"
        path.write_text(source)
        spec = BoxSpec(role=Role.CANDIDATE, track="python", scratch=str(tmp_path), output_path=str(tmp_path / "out"),
                       solution=str(path), expected=expected, project_root=str(ROOT))
        b = Box(*start(spec), "candidate's")
        started.append(b)
        loaded = b.wait_loaded(60)
        return Solution(b, loaded.functions, str(path))

    yield make
    for b in started:
        b.kill()


def f_of(*parameters):
    return {"f": {"parameters": list(parameters), "text": f"f({', '.join(parameters)})"}}


def test_gradients_come_from_the_box(box_for):
    sol = box_for("def f(x, w):\n    return (x * w).sum() * 3, x.detach()\n", f_of("x", "w"))
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    loss, detached = sol.f(x, w)
    assert loss.requires_grad and not detached.requires_grad
    gx, gw = torch.autograd.grad(loss, [x, w])
    assert torch.equal(gx, torch.tensor([9.0, 12.0])) and torch.equal(gw, torch.tensor([3.0, 6.0]))


def test_a_changed_argument_is_seen(box_for):
    sol = box_for("def f(x):\n    x.add_(1)\n    return x.sum()\n", f_of("x"))
    with pytest.raises(PropertyFailure, match="modified its argument x in place"):
        sol.f(torch.zeros(3))


def test_a_lying_tensor_is_a_failed_property(box_for):
    source = ("import torch\n\nclass Liar(torch.Tensor):\n    pass\n\n"
              "def f(x):\n    return torch.zeros(1).as_subclass(Liar)\n")
    sol = box_for(source, f_of("x"))
    with pytest.raises(PropertyFailure, match="subclass Liar"):
        sol.f(torch.zeros(1))


def test_an_oversize_result_stops_the_box_with_a_failed_verdict(box_for):
    sol = box_for("import torch\n\ndef f(x):\n    return torch.zeros(300 * 1024 * 1024 // 4)\n", f_of("x"))
    with pytest.raises(BoxGone) as caught:
        sol.f(torch.zeros(1))
    assert caught.value.status == "failed" and "larger than 256 MB" in caught.value.message
