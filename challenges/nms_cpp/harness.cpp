// Bindings for nms_cpp: the candidate writes nms_kernel, included below.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "cvg_kernel.h"
#include CVG_SOLUTION

namespace py = pybind11;

template <typename T>
py::array_t<int64_t> run(py::array boxes, py::array scores, double iou_threshold) {
  auto b = py::array_t<T, py::array::c_style>::ensure(boxes);
  auto s = py::array_t<T, py::array::c_style>::ensure(scores);
  if (!b || !s || !scores.dtype().is(boxes.dtype()) || b.ndim() != 2 || b.shape(1) != 4 || s.ndim() != 1 ||
      s.shape(0) != b.shape(0))
    throw py::value_error("nms expects C-contiguous (N, 4) boxes and (N,) scores of the same float dtype");
  const int64_t n = b.shape(0);
  py::array_t<int64_t> keep(n);
  const T* pb = b.data();
  const T* ps = s.data();
  int64_t* pk = keep.mutable_data();
  int64_t kept;
  {
    py::gil_scoped_release release;
    kept = nms_kernel<T>(pb, ps, n, iou_threshold, pk);
  }
  if (kept < 0 || kept > n)
    throw std::runtime_error("nms_kernel returned " + std::to_string(kept) + " kept boxes for " + std::to_string(n) +
                             " boxes; it must return a count between 0 and n");
  keep.resize({kept});
  return keep;
}

PYBIND11_MODULE(CVG_MODULE, module) {
  py::register_local_exception<cvg::not_implemented>(module, "NotImplemented", PyExc_NotImplementedError);
  module.def("nms", [](py::array boxes, py::array scores, double iou_threshold) -> py::object {
    if (boxes.dtype().is(py::dtype::of<float>())) return run<float>(boxes, scores, iou_threshold);
    if (boxes.dtype().is(py::dtype::of<double>())) return run<double>(boxes, scores, iou_threshold);
    throw py::type_error("nms expects float32 or float64 boxes");
  });
}
