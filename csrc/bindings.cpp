// The pybind11 module reference._C: CPU kernels on NumPy arrays, CUDA launchers on raw pointers.
#include "common.h"

#ifdef CVG_WITH_CUDA
#include "cuda/launchers.h"
#endif

namespace py = pybind11;

PYBIND11_MODULE(_C, m) {
  m.doc() =
      "Compiled box_iou / nms kernels of cv-grader. Use reference.box_iou / reference.nms, which "
      "validate torch tensors and dispatch here.";

  m.def("box_iou_cpu", &cvg::box_iou_cpu, py::arg("boxes1"), py::arg("boxes2"),
        "IoU (N, M) of float32/float64 C-contiguous (N, 4) and (M, 4) arrays, in their dtype. "
        "Arrays of another dtype, shape or layout are refused, never converted.");
  m.def("nms_cpu", &cvg::nms_cpu, py::arg("boxes"), py::arg("scores"), py::arg("iou_threshold"),
        "Greedy NMS: int64 indices of kept boxes, by descending score (ties: lower index first); "
        "a box is dropped when its IoU with a kept box is > iou_threshold. scores: (N,), the "
        "boxes' dtype.");
  m.def("openmp_threads", &cvg::openmp_max_threads,
        "Threads the CPU kernels use (OpenMP max threads; 1 when built without OpenMP).");
  m.def("openmp_enabled", []() {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
  });

#ifdef CVG_WITH_CUDA
  m.def("cuda_built", []() { return true; }, "True when the CUDA kernels were compiled in.");
  m.def("cuda_device_count", &cvg::cuda::device_count,
        "Visible CUDA devices (0 without a driver or device).");
  m.def("box_iou_cuda", &cvg::cuda::box_iou, py::arg("device"), py::arg("boxes1_ptr"),
        py::arg("n"), py::arg("boxes2_ptr"), py::arg("m"), py::arg("out_ptr"), py::arg("dtype"),
        py::arg("stream"),
        "Queue IoU of device buffers (n, 4) and (m, 4) into out (n, m) on `stream`; dtype code 0 = "
        "float32, 1 = float64.");
  m.def("nms_mask_words", &cvg::cuda::nms_mask_words, py::arg("n"),
        "64-bit words per row of the NMS mask: ceil(n / 64).");
  m.def("nms_cuda", &cvg::cuda::nms, py::arg("device"), py::arg("sorted_boxes_ptr"), py::arg("n"),
        py::arg("iou_threshold"), py::arg("dtype"), py::arg("mask_ptr"), py::arg("removed_ptr"),
        py::arg("keep_ptr"), py::arg("count_ptr"), py::arg("stream"),
        "Queue greedy NMS over score-sorted device boxes on `stream`: kept positions into keep "
        "(int64, n), their number into count (int64, 1). Scratch: mask n * nms_mask_words(n) "
        "words, removed nms_mask_words(n) words.");
#else
  m.def("cuda_built", []() { return false; }, "True when the CUDA kernels were compiled in.");
  m.def("cuda_device_count", []() { return 0; }, "0: this build has no CUDA kernels.");
#endif
}
