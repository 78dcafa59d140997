// Bindings for box_iou_cpp: the candidate writes box_iou_kernel, included below. adapter.py checks
// the arrays and allocates the output; this calls the kernel on their addresses.
#include "cvg_python.h"
#include CVG_SOLUTION

// box_iou(boxes1, n, boxes2, m, out, is_double): addresses as integers, sizes in boxes.
static PyObject* box_iou(PyObject*, PyObject* args) {
  unsigned long long boxes1, boxes2, out;
  long long n, m;
  int is_double;
  if (!PyArg_ParseTuple(args, "KLKLKp", &boxes1, &n, &boxes2, &m, &out, &is_double)) return nullptr;
  const bool done = cvg::without_gil("box_iou_kernel", [&] {
    if (is_double)
      box_iou_kernel<double>(cvg::address<const double>(boxes1), n, cvg::address<const double>(boxes2), m,
                             cvg::address<double>(out));
    else
      box_iou_kernel<float>(cvg::address<const float>(boxes1), n, cvg::address<const float>(boxes2), m,
                            cvg::address<float>(out));
  });
  if (!done) return nullptr;
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"box_iou", box_iou, METH_VARARGS, nullptr}, {nullptr, nullptr, 0, nullptr}};
PyMODINIT_FUNC CVG_JOIN(PyInit_, CVG_MODULE)(void) { return cvg::create_module(methods); }
