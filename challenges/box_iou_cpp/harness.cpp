// Bindings for box_iou_cpp: the candidate writes box_iou_kernel, included below.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "cvg_kernel.h"
#include CVG_SOLUTION

namespace py = pybind11;

template <typename T>
py::array_t<T> run(py::array boxes1, py::array boxes2) {
  auto a = py::array_t<T, py::array::c_style>::ensure(boxes1);
  auto b = py::array_t<T, py::array::c_style>::ensure(boxes2);
  if (!a || !b || a.ndim() != 2 || b.ndim() != 2 || a.shape(1) != 4 || b.shape(1) != 4)
    throw py::value_error("box_iou expects two C-contiguous (N, 4) arrays of the same float dtype");
  const int64_t n = a.shape(0), m = b.shape(0);
  py::array_t<T> out({n, m});
  const T* pa = a.data();
  const T* pb = b.data();
  T* po = out.mutable_data();
  {
    py::gil_scoped_release release;
    box_iou_kernel<T>(pa, n, pb, m, po);
  }
  return out;
}

PYBIND11_MODULE(CVG_MODULE, module) {
  py::register_local_exception<cvg::not_implemented>(module, "NotImplemented", PyExc_NotImplementedError);
  module.def("box_iou", [](py::array boxes1, py::array boxes2) -> py::object {
    if (boxes1.dtype().is(py::dtype::of<float>())) return run<float>(boxes1, boxes2);
    if (boxes1.dtype().is(py::dtype::of<double>())) return run<double>(boxes1, boxes2);
    throw py::type_error("box_iou expects float32 or float64 boxes");
  });
}
