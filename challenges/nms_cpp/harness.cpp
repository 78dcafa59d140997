// Bindings for nms_cpp: the candidate writes nms_kernel, included below. adapter.py checks the
// arrays, allocates `keep` and checks the count; this calls the kernel on their addresses.
#include "cvg_python.h"
#include CVG_SOLUTION

// nms(boxes, scores, n, iou_threshold, keep, is_double) -> the count the kernel returned.
static PyObject* nms(PyObject*, PyObject* args) {
  unsigned long long boxes, scores, keep;
  long long n;
  double iou_threshold;
  int is_double;
  if (!PyArg_ParseTuple(args, "KKLdKp", &boxes, &scores, &n, &iou_threshold, &keep, &is_double)) return nullptr;
  int64_t kept = 0;
  const bool done = cvg::without_gil("nms_kernel", [&] {
    if (is_double)
      kept = nms_kernel<double>(cvg::address<const double>(boxes), cvg::address<const double>(scores), n,
                                iou_threshold, cvg::address<int64_t>(keep));
    else
      kept = nms_kernel<float>(cvg::address<const float>(boxes), cvg::address<const float>(scores), n, iou_threshold,
                               cvg::address<int64_t>(keep));
  });
  return done ? PyLong_FromLongLong(kept) : nullptr;
}

static PyMethodDef methods[] = {{"nms", nms, METH_VARARGS, nullptr}, {nullptr, nullptr, 0, nullptr}};
PyMODINIT_FUNC CVG_JOIN(PyInit_, CVG_MODULE)(void) { return cvg::create_module(methods); }
