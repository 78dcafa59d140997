// Bindings for nms_cpp: the candidate writes nms_kernel, included below. adapter.py checks the
// arrays and allocates the output; this calls the kernel on their addresses. Plain CPython API
// rather than pybind11: pybind11's headers took 4 of the 5 seconds each candidate build took.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <exception>
#include <string>

#include "cvg_kernel.h"
#include CVG_SOLUTION

#define CVG_JOIN2(a, b) a##b
#define CVG_JOIN(a, b) CVG_JOIN2(a, b)
#define CVG_TEXT2(x) #x
#define CVG_TEXT(x) CVG_TEXT2(x)

// nms(boxes, scores, n, iou_threshold, keep, is_double) -> the count the kernel returned.
static PyObject* nms(PyObject*, PyObject* args) {
  unsigned long long boxes, scores, keep;
  long long n;
  double iou_threshold;
  int is_double;
  if (!PyArg_ParseTuple(args, "KKLdKp", &boxes, &scores, &n, &iou_threshold, &keep, &is_double)) return nullptr;
  int64_t kept = 0;
  PyObject* error = nullptr;
  std::string message;
  Py_BEGIN_ALLOW_THREADS
  try {
    if (is_double)
      kept = nms_kernel<double>(reinterpret_cast<const double*>(boxes), reinterpret_cast<const double*>(scores), n,
                                iou_threshold, reinterpret_cast<int64_t*>(keep));
    else
      kept = nms_kernel<float>(reinterpret_cast<const float*>(boxes), reinterpret_cast<const float*>(scores), n,
                               iou_threshold, reinterpret_cast<int64_t*>(keep));
  } catch (const cvg::not_implemented& exc) {
    error = PyExc_NotImplementedError, message = exc.what();
  } catch (const std::exception& exc) {
    error = PyExc_RuntimeError, message = exc.what();
  } catch (...) {
    error = PyExc_RuntimeError, message = "nms_kernel threw something that is not a std::exception";
  }
  Py_END_ALLOW_THREADS
  if (error != nullptr) return PyErr_SetString(error, message.c_str()), nullptr;
  return PyLong_FromLongLong(kept);
}

static PyMethodDef methods[] = {{"nms", nms, METH_VARARGS, nullptr}, {nullptr, nullptr, 0, nullptr}};
static PyModuleDef module = {PyModuleDef_HEAD_INIT, CVG_TEXT(CVG_MODULE), nullptr, -1, methods};
PyMODINIT_FUNC CVG_JOIN(PyInit_, CVG_MODULE)(void) { return PyModule_Create(&module); }
