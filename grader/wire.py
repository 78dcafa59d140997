"""The data-only format in which the judge and a candidate's box talk.

A message is a JSON header followed by raw buffers: tensors and arrays travel as dtype, shape and
bytes; numbers, strings, None, lists, tuples and dicts as themselves; ``nn.Module``s of an
allow-list as class name, constructor arguments and tensors. Nothing in a message is code, and
decoding never calls anything the sender chose: the judge rebuilds plain tensors, arrays and
builtins, so a returned object cannot lie about itself (a ``torch.Tensor`` subclass, a proxy, a
pickle) — whatever cannot be written this way arrives as an ``Unsupported`` marker that says what
it was. Every size is bounded and every field checked; malformed data raises ``WireError``.
"""

from __future__ import annotations

import enum
import json
import os
import select
import struct
import time
from dataclasses import dataclass, field
from typing import Any

MAX_MESSAGE_BYTES = 1 << 31  # 2 GiB: above any input the judge sends (timing and memory runs included)
MAX_REPLY_BYTES = 256 << 20  # what a box may send back from one call: properties use small inputs
MAX_DEPTH = 32
MAX_NODES = 100_000
_HEADER = struct.Struct("<QQ")  # header length, total buffer length


class WireError(Exception):
    """The other side sent something that is not a well-formed message."""


class FrameError(WireError):
    """The stream itself is broken or oversize: nothing after it can be read in step."""


class Kind(str, enum.Enum):
    """What a message is. Requests go judge -> box, replies box -> judge."""

    CALL = "call"
    BACKWARD = "backward"
    TIMED_CALL = "timed_call"
    THREADS = "threads"
    CONFINED = "confined"
    LOADED = "loaded"
    RESULT = "result"
    RAISED = "raised"
    GRADS = "grads"
    TIMED = "timed"
    OK = "ok"


class Outcome(str, enum.Enum):
    """How a call into the candidate's code ended, when it did not return."""

    NOT_STARTED = "not_started"  # NotImplementedError: the stub is untouched
    RAISED = "raised"  # an ordinary exception: a failed property
    FATAL = "fatal"  # out of memory, sys.exit: no further example can recover
    FORBIDDEN = "forbidden"  # a forbidden module or function was used
    LOAD_ERROR = "load_error"  # the solution could not be loaded
    WIRE = "wire"  # the result could not be sent


@dataclass
class Message:
    kind: Kind
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Unsupported:
    """Stands for a value that cannot cross the wire; ``what`` says what it was."""

    what: str

    def __repr__(self) -> str:
        return f"<{self.what}>"


@dataclass(frozen=True)
class TensorRef:
    """A tensor left in the box's memory: where it is, for the judge to read while the box is stopped."""

    address: int
    nbytes: int
    dtype: str
    shape: tuple[int, ...]


# --- dtypes -----------------------------------------------------------------------------------------

_TORCH_DTYPES = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128", "int8", "uint8",
                 "int16", "int32", "int64", "bool")
_NUMPY_DTYPES = ("float16", "float32", "float64", "complex64", "complex128", "int8", "uint8", "int16", "uint16",
                 "int32", "uint32", "int64", "uint64", "bool")


def torch_dtype(name: str):
    import torch

    if name not in _TORCH_DTYPES:
        raise WireError(f"tensor dtype {name!r} is not one the grader accepts")
    return getattr(torch, name)


def dtype_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


# --- nn.Module allow-list: class -> constructor arguments read back from an instance ---------------


def _module_classes() -> dict[str, tuple[type, callable]]:
    from torch import nn

    def bias(m):
        return {"bias": getattr(m, "bias", None) is not None}

    def conv(m):
        return dict(in_channels=m.in_channels, out_channels=m.out_channels, kernel_size=m.kernel_size,
                    stride=m.stride, padding=m.padding, dilation=m.dilation, groups=m.groups,
                    padding_mode=m.padding_mode, **bias(m))

    def norm(m):
        return dict(num_features=m.num_features, eps=m.eps, momentum=m.momentum, affine=m.affine,
                    track_running_stats=m.track_running_stats)

    def attention(m):
        return dict(embed_dim=m.embed_dim, num_heads=m.num_heads, dropout=m.dropout, bias=m.in_proj_bias is not None,
                    add_bias_kv=m.bias_k is not None, add_zero_attn=m.add_zero_attn, kdim=m.kdim, vdim=m.vdim,
                    batch_first=m.batch_first)

    def layer_norm(m):
        return dict(normalized_shape=m.normalized_shape, eps=m.eps, elementwise_affine=m.elementwise_affine,
                    **bias(m))

    table = {
        nn.Conv1d: conv, nn.Conv2d: conv, nn.Conv3d: conv,
        nn.BatchNorm1d: norm, nn.BatchNorm2d: norm, nn.BatchNorm3d: norm,
        nn.Linear: lambda m: dict(in_features=m.in_features, out_features=m.out_features, **bias(m)),
        nn.LayerNorm: layer_norm,
        nn.MultiheadAttention: attention,
        nn.GELU: lambda m: dict(approximate=m.approximate),
        nn.ReLU: lambda m: {}, nn.Identity: lambda m: {}, nn.Sequential: lambda m: {},
    }
    return {cls.__name__: (cls, extract) for cls, extract in table.items()}


_MODULES: dict | None = None


def module_classes() -> dict:
    global _MODULES
    if _MODULES is None:
        _MODULES = _module_classes()
    return _MODULES


# --- encoding -----------------------------------------------------------------------------------------


class _Encoder:
    def __init__(self, inputs: list | None = None):
        self.buffers: list[memoryview] = []
        self.total = 0
        self.nodes = 0
        # storage address -> index of an input tensor, so a returned view of an input stays a view
        self.input_storages = {}
        for i, t in enumerate(inputs or ()):
            try:
                self.input_storages.setdefault(t.untyped_storage().data_ptr(), i)
            except Exception:  # noqa: BLE001 - a tensor without storage cannot be aliased
                pass

    def buffer(self, data) -> int:
        view = memoryview(data).cast("B")
        self.total += view.nbytes
        if self.total > MAX_MESSAGE_BYTES:
            raise WireError(f"the data is larger than the {MAX_MESSAGE_BYTES >> 20} MB the grader accepts")
        self.buffers.append(view)
        return len(self.buffers) - 1

    def tensor(self, t, grad: bool | None = None) -> dict:
        import torch

        node = {"$tensor": None, "dtype": dtype_name(t.dtype), "shape": list(t.shape),
                "grad": bool(t.requires_grad if grad is None else grad)}
        if t.dtype not in tuple(getattr(torch, n) for n in _TORCH_DTYPES):
            return {"$unsupported": f"a tensor of dtype {t.dtype}"}
        if t.device.type != "cpu":
            t = t.cpu()
        alias = self.input_storages.get(t.untyped_storage().data_ptr()) if t.numel() else None
        if alias is not None:
            node["alias"] = {"input": alias, "offset": t.storage_offset(), "stride": list(t.stride())}
        flat = t.detach().contiguous().reshape(-1)
        if flat.numel() and flat.stride(0) != 1:  # a one-element tensor may keep any stride
            flat = torch.empty(flat.numel(), dtype=flat.dtype).copy_(flat)
        node["$tensor"] = self.buffer(flat.view(torch.uint8).numpy() if flat.numel() else b"")
        return node

    def fields(self, fields: dict) -> dict:
        """A message's fields; only its "value" may refer to the inputs (an echo of the arguments
        must carry their data, or a changed argument would read as unchanged)."""
        inputs, out = self.input_storages, {}
        for key, value in fields.items():
            self.input_storages = inputs if key == "value" else {}
            out[key] = self.encode(value)
        self.input_storages = inputs
        return out

    def encode(self, value: Any, depth: int = 0) -> Any:
        import numpy as np
        import torch
        from torch import nn

        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError("the value is nested too deeply or has too many parts")
        if value is None or type(value) in (bool, int, str):
            return value
        if type(value) is float:
            return value if value == value and abs(value) != float("inf") else {"$float": repr(value)}
        if type(value) is torch.Tensor or type(value) is nn.Parameter:
            return self.tensor(value)
        if isinstance(value, torch.Tensor):
            return {"$unsupported": f"a torch.Tensor subclass {type(value).__name__}"}
        if type(value) is np.ndarray:
            if value.dtype.name not in _NUMPY_DTYPES:
                return {"$unsupported": f"a numpy array of dtype {value.dtype}"}
            return {"$ndarray": self.buffer(np.ascontiguousarray(value).reshape(-1).view(np.uint8)),
                    "dtype": value.dtype.name, "shape": list(value.shape)}
        if isinstance(value, np.generic) and type(value).__module__ == "numpy":
            return self.encode(value.item(), depth + 1)
        if type(value) is list:
            return [self.encode(v, depth + 1) for v in value]
        if type(value) in (tuple, torch.Size):
            return {"$tuple": [self.encode(v, depth + 1) for v in value]}
        if type(value) is dict:
            return {"$dict": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if type(value) is torch.dtype:
            return {"$dtype": dtype_name(value)}
        if type(value) is torch.device:
            return {"$device": str(value)}
        if isinstance(value, nn.Module):
            return self.module(value, depth)
        return {"$unsupported": f"a {type(value).__name__} object (from {type(value).__module__})"}

    def module(self, m, depth: int) -> dict:
        entry = module_classes().get(type(m).__name__)
        if entry is None or type(m) is not entry[0]:
            return {"$unsupported": f"a {type(m).__name__} module (only torch.nn's own "
                                    f"{', '.join(sorted(module_classes()))} can be passed or returned)"}
        cls, extract = entry
        children = [[name, self.encode(child, depth + 1)] for name, child in m.named_children()] \
            if cls.__name__ == "Sequential" else []
        sequential = cls.__name__ == "Sequential"  # its children travel as modules, the others' with their owner
        return {
            "$module": cls.__name__,
            "init": self.encode(extract(m), depth + 1),
            "training": bool(m.training),
            "children": children,
            "parameters": [] if sequential else [[n, self.tensor(p)] for n, p in m.named_parameters()],
            "buffers": [] if sequential else [[n, self.tensor(b)] for n, b in m.named_buffers()],
        }


def direct_tensors(value: Any) -> list:
    """The tensors directly in ``value`` (not inside modules), in order: the outputs of a call that
    gradients flow from, counted alike on both sides."""
    import torch

    found = []

    def walk(v):
        if isinstance(v, torch.Tensor):
            found.append(v)
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item)
        elif isinstance(v, dict):
            for item in v.values():
                walk(item)

    walk(value)
    return found


def input_tensors(value: Any) -> list:
    """The tensors in ``value`` (module parameters and buffers included), in a fixed order that
    both sides compute alike: the order of inputs that aliases and gradients refer to."""
    import torch
    from torch import nn

    found = []

    def walk(v):
        if isinstance(v, torch.Tensor):
            found.append(v)
        elif isinstance(v, nn.Module):
            found.extend(t for _, t in v.named_parameters())
            found.extend(t for _, t in v.named_buffers())
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item)
        elif isinstance(v, dict):
            for item in v.values():
                walk(item)

    walk(value)
    return found


# --- decoding -----------------------------------------------------------------------------------------


class _Decoder:
    def __init__(self, buffers: list[memoryview], inputs: list | None):
        self.buffers = buffers
        self.inputs = inputs or []
        self.nodes = 0

    def data(self, node: dict, key: str) -> memoryview:
        index = node.get(key)
        if type(index) is not int or not 0 <= index < len(self.buffers):
            raise WireError("a tensor refers to a buffer that is not there")
        return self.buffers[index]

    @staticmethod
    def shape(node: dict) -> tuple[int, ...]:
        shape = node.get("shape")
        if type(shape) is not list or len(shape) > 16 or not all(type(s) is int and 0 <= s < 1 << 40 for s in shape):
            raise WireError(f"a malformed tensor shape {shape!r}")
        return tuple(shape)

    def tensor(self, node: dict):
        import torch

        dtype = torch_dtype(node.get("dtype"))
        shape = self.shape(node)
        count = 1
        for s in shape:
            count *= s
        raw = self.data(node, "$tensor")
        itemsize = torch.empty((), dtype=dtype).element_size()
        if raw.nbytes != count * itemsize:
            raise WireError(f"a {dtype_name(dtype)} tensor of shape {shape} came with {raw.nbytes} bytes")
        alias = node.get("alias")
        if alias is not None and self.inputs:
            view = self.alias(alias, dtype, shape)
            if view is not None:
                return view
        if count == 0:
            t = torch.empty(shape, dtype=dtype)
        else:
            t = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape)
        if node.get("grad") is True and (t.is_floating_point() or t.is_complex()):
            t.requires_grad_(True)
        return t

    def alias(self, alias: dict, dtype, shape):
        """A view of the judge's own input tensor, when the box says the value is one (and it fits)."""
        import torch

        index, offset, stride = alias.get("input"), alias.get("offset"), alias.get("stride")
        if type(index) is not int or not 0 <= index < len(self.inputs) or type(offset) is not int \
                or type(stride) is not list or len(stride) != len(shape) or not all(type(s) is int for s in stride):
            raise WireError("a malformed alias")
        base = self.inputs[index]
        if base.dtype != dtype or offset < 0 or any(s < 0 for s in stride):
            return None
        last = offset + sum((n - 1) * s for n, s in zip(shape, stride)) if all(shape) else offset
        if last >= base.untyped_storage().nbytes() // base.element_size():
            return None
        with torch.no_grad():
            return torch.as_strided(base.detach(), shape, stride, offset)

    def decode(self, node: Any, depth: int = 0) -> Any:
        import numpy as np
        import torch

        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError("the value is nested too deeply or has too many parts")
        if node is None or type(node) in (bool, int, str, float):
            return node
        if type(node) is list:
            return [self.decode(v, depth + 1) for v in node]
        if type(node) is not dict or len(node) == 0:
            raise WireError(f"an unknown value {str(node)[:80]!r}")
        if "$tensor" in node:
            return self.tensor(node)
        if "$ndarray" in node:
            name = node.get("dtype")
            if name not in _NUMPY_DTYPES:
                raise WireError(f"array dtype {name!r} is not one the grader accepts")
            shape = self.shape(node)
            raw = self.data(node, "$ndarray")
            dtype = np.dtype(name)
            if raw.nbytes != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
                raise WireError("an array's bytes do not match its shape")
            return np.frombuffer(bytearray(raw), dtype=dtype).reshape(shape)
        if "$tuple" in node:
            return tuple(self.decode(v, depth + 1) for v in self._list(node["$tuple"]))
        if "$dict" in node:
            out = {}
            for pair in self._list(node["$dict"]):
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("a malformed dict entry")
                key = self.decode(pair[0], depth + 1)
                if type(key) not in (str, int, float, bool, tuple) and key is not None:
                    raise WireError("a dict key that is not a plain value")
                out[key] = self.decode(pair[1], depth + 1)
            return out
        if "$float" in node:
            if node["$float"] not in ("nan", "inf", "-inf"):
                raise WireError("a malformed float")
            return float(node["$float"])
        if "$dtype" in node:
            return torch_dtype(node["$dtype"])
        if "$device" in node:
            if node["$device"] not in ("cpu", "cuda") and not str(node["$device"]).startswith("cuda:"):
                raise WireError("an unknown device")
            return torch.device(node["$device"])
        if "$module" in node:
            return self.module(node, depth)
        if "$unsupported" in node:
            return Unsupported(str(node["$unsupported"])[:300])
        raise WireError(f"an unknown value {str(node)[:80]!r}")

    @staticmethod
    def _list(value) -> list:
        if type(value) is not list:
            raise WireError("a malformed sequence")
        return value

    def module(self, node: dict, depth: int):
        import torch
        from torch import nn

        entry = module_classes().get(node["$module"])
        if entry is None:
            raise WireError(f"module class {node['$module']!r} is not on the allow-list")
        cls, _ = entry
        init = self.decode(node.get("init"), depth + 1)
        if type(init) is not dict or not all(type(k) is str for k in init):
            raise WireError("malformed module arguments")
        try:
            if cls is nn.Sequential:
                children = [(self._name(n), self.decode(c, depth + 1)) for n, c in self._list(node.get("children", []))]
                from collections import OrderedDict

                if not all(isinstance(c, nn.Module) for _, c in children):
                    return Unsupported("a Sequential holding something that is not a module")
                module = nn.Sequential(OrderedDict(children))
            else:
                with torch.device("meta"):
                    module = cls(**init)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise WireError(f"a {cls.__name__} that cannot be rebuilt: {exc}") from None
        if cls is not nn.Sequential:
            self.fill(module, node, depth)
        module.train(bool(node.get("training")))
        return module

    def fill(self, module, node: dict, depth: int) -> None:
        """Put the sent tensors in place of the meta ones the constructor made, each where it belongs."""
        import torch
        from torch import nn

        name_of = type(module).__name__
        for key, named in (("parameters", dict(module.named_parameters())), ("buffers", dict(module.named_buffers()))):
            got = {}
            for pair in self._list(node.get(key, [])):
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("a malformed module tensor")
                got[self._name(pair[0])] = self.decode(pair[1], depth + 1)
            if set(got) != set(named):
                raise WireError(f"a {name_of} whose {key} are {sorted(got)}, not {sorted(named)}")
            for name, value in got.items():
                if not isinstance(value, torch.Tensor):
                    raise WireError(f"a {name_of} whose {name} is not a tensor")
                owner_name, _, leaf = name.rpartition(".")
                owner = module.get_submodule(owner_name) if owner_name else module
                if key == "parameters":
                    owner._parameters[leaf] = nn.Parameter(value, requires_grad=value.requires_grad)
                else:
                    owner._buffers[leaf] = value

    @staticmethod
    def _name(value) -> str:
        if type(value) is not str or not value or len(value) > 200:
            raise WireError("a malformed name")
        return value


# --- messages on a file descriptor ---------------------------------------------------------------------


def encode(message: Message, inputs: list | None = None) -> list:
    """The message as a list of byte chunks (header first), ready for ``write_chunks``."""
    encoder = _Encoder(inputs)
    body = {"kind": message.kind.value, "fields": {"$dict": [[k, v] for k, v in encoder.fields(message.fields).items()]}}
    header = json.dumps(body, allow_nan=False).encode()
    return [_HEADER.pack(len(header), encoder.total), header, *encoder.buffers]


def decode(header: bytes, payload: memoryview, buffer_lengths: list[int] | None = None,
           inputs: list | None = None) -> Message:
    try:
        body = json.loads(header)
    except (ValueError, UnicodeDecodeError):
        raise WireError("a message header that is not JSON") from None
    if type(body) is not dict or "kind" not in body:
        raise WireError("a message without a kind")
    try:
        kind = Kind(body["kind"])
    except ValueError:
        raise WireError(f"an unknown message kind {str(body['kind'])[:40]!r}") from None
    buffers, offset = [], 0
    for length in buffer_lengths or ():
        buffers.append(payload[offset:offset + length])
        offset += length
    fields = _Decoder(buffers, inputs).decode(body.get("fields", {}))
    if type(fields) is not dict:
        raise WireError("message fields that are not a dict")
    return Message(kind, fields)


def write_chunks(fd: int, chunks: list) -> None:
    for chunk in chunks:
        view = memoryview(chunk).cast("B")
        while view:
            view = view[os.write(fd, view):]


def send(fd: int, message: Message, inputs: list | None = None) -> None:
    send_chunks(fd, encode(message, inputs))


def send_chunks(fd: int, chunks: list) -> None:
    """Write an encoded message; the buffer lengths ride in a second small header so that the
    first stays fixed-size."""
    lengths = json.dumps([memoryview(c).nbytes for c in chunks[2:]]).encode()
    write_chunks(fd, [struct.pack("<Q", len(lengths)), lengths, *chunks])


def _read_exact(fd: int, n: int, deadline: float | None) -> memoryview:
    out = bytearray(n)
    view = memoryview(out)
    got = 0
    while got < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise TimeoutError
        chunk = os.readv(fd, [view[got:]]) if n - got else 0
        if chunk == 0:
            raise EOFError
        got += chunk
    return view


def receive(fd: int, *, deadline: float | None = None, inputs: list | None = None,
            limit: int = MAX_MESSAGE_BYTES) -> Message:
    """The next message on ``fd``. TimeoutError past ``deadline``, EOFError when the writer is gone,
    WireError when what came is not a message."""
    (n_lengths,) = struct.unpack("<Q", _read_exact(fd, 8, deadline))
    if n_lengths > 1 << 20:
        raise FrameError("a malformed message frame")
    try:
        lengths = json.loads(bytes(_read_exact(fd, n_lengths, deadline)))
    except ValueError:
        raise FrameError("a malformed message frame") from None
    header_len, total = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if type(lengths) is not list or not all(type(n) is int and n >= 0 for n in lengths) or sum(lengths) != total \
            or header_len > 64 << 20 or total > limit:
        raise FrameError(f"a message frame that is malformed or larger than {limit >> 20} MB")
    header = bytes(_read_exact(fd, header_len, deadline))
    payload = _read_exact(fd, total, deadline)
    return decode(header, payload, lengths, inputs)
