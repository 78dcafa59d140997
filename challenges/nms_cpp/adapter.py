"""Torch CPU tensors in and out, for nms_cpp's harness, which takes the arrays' addresses."""

import numpy as np
import torch

DTYPES = (torch.float32, torch.float64)


def adapt(functions):
    launch = functions["nms"]

    def nms(boxes, scores, iou_threshold):
        if boxes.dtype not in DTYPES:
            raise TypeError("nms expects float32 or float64 boxes")
        if (scores.dtype != boxes.dtype or boxes.ndim != 2 or boxes.shape[1] != 4 or scores.ndim != 1
                or len(scores) != len(boxes)):
            raise ValueError("nms expects (N, 4) boxes and (N,) scores of the same float dtype")
        # Zero-copy views of contiguous inputs, so that a kernel writing into one is still caught.
        b, s = np.ascontiguousarray(boxes.detach().numpy()), np.ascontiguousarray(scores.detach().numpy())
        keep = np.empty(len(b), dtype=np.int64)
        kept = launch(b.ctypes.data, s.ctypes.data, len(b), float(iou_threshold), keep.ctypes.data,
                      b.dtype == np.float64)
        if not 0 <= kept <= len(b):
            raise RuntimeError(f"nms_kernel returned {kept} kept boxes for {len(b)} boxes; it must return a count "
                               "between 0 and n")
        return torch.from_numpy(keep[:kept].copy())

    return {"nms": nms}
