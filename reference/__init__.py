"""Reference implementations for cv-grader.

``reference.ops.<op>`` holds the readable torch version of every op (the specification);
``reference.box_iou`` and ``reference.nms`` dispatch to the compiled C++/CUDA kernels.
"""

from reference.compiled import (
    ExtensionNotBuiltError,
    box_iou,
    build_info,
    cuda_built,
    gpu_available,
    nms,
)

__all__ = ["ExtensionNotBuiltError", "box_iou", "build_info", "cuda_built", "gpu_available", "nms"]
