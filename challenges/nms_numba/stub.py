"""Greedy NMS as a Numba kernel. See README.md in this folder for the full statement."""

import numpy as np
from numba import njit


@njit(cache=False)
def nms(boxes, scores, iou_threshold):
    """Indices (int64) of the boxes greedy NMS keeps, in the order kept.

    boxes (N, 4) and scores (N,) are NumPy arrays of one dtype (float32 or float64);
    iou_threshold is a float in [0, 1]. Returns a 1-D np.int64 array.
    """
    raise NotImplementedError("nms: write your Numba kernel here")
