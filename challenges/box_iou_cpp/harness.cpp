// Bindings for box_iou_cpp: the candidate writes box_iou_kernel, included below. adapter.py checks
// the arrays and allocates the output; this calls the kernel on their addresses. Plain CPython
// API rather than pybind11: pybind11's headers took 4 of the 5 seconds each candidate build took.
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

// box_iou(boxes1, n, boxes2, m, out, is_double): addresses as integers, sizes in boxes.
static PyObject* box_iou(PyObject*, PyObject* args) {
  unsigned long long boxes1, boxes2, out;
  long long n, m;
  int is_double;
  if (!PyArg_ParseTuple(args, "KLKLKp", &boxes1, &n, &boxes2, &m, &out, &is_double)) return nullptr;
  PyObject* error = nullptr;
  std::string message;
  Py_BEGIN_ALLOW_THREADS
  try {
    if (is_double)
      box_iou_kernel<double>(reinterpret_cast<const double*>(boxes1), n, reinterpret_cast<const double*>(boxes2), m,
                             reinterpret_cast<double*>(out));
    else
      box_iou_kernel<float>(reinterpret_cast<const float*>(boxes1), n, reinterpret_cast<const float*>(boxes2), m,
                            reinterpret_cast<float*>(out));
  } catch (const cvg::not_implemented& exc) {
    error = PyExc_NotImplementedError, message = exc.what();
  } catch (const std::exception& exc) {
    error = PyExc_RuntimeError, message = exc.what();
  } catch (...) {
    error = PyExc_RuntimeError, message = "box_iou_kernel threw something that is not a std::exception";
  }
  Py_END_ALLOW_THREADS
  if (error != nullptr) return PyErr_SetString(error, message.c_str()), nullptr;
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"box_iou", box_iou, METH_VARARGS, nullptr}, {nullptr, nullptr, 0, nullptr}};
static PyModuleDef module = {PyModuleDef_HEAD_INIT, CVG_TEXT(CVG_MODULE), nullptr, -1, methods};
PyMODINIT_FUNC CVG_JOIN(PyInit_, CVG_MODULE)(void) { return PyModule_Create(&module); }
