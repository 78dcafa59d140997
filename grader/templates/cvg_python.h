// The Python side of every compiled-track harness, in the plain CPython API. pybind11 would do the
// same in fewer lines, but its headers took 4 of the 5 seconds of a C++ candidate's build (and
// longer under nvcc); a harness binds a few functions taking integers and addresses, so this is
// all it needs. Copied into each build's src/ beside cvg_kernel.h.
#pragma once
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <exception>
#include <stdexcept>
#include <string>

#include "cvg_kernel.h"

#define CVG_JOIN2(a, b) a##b
#define CVG_JOIN(a, b) CVG_JOIN2(a, b)
#define CVG_TEXT2(x) #x
#define CVG_TEXT(x) CVG_TEXT2(x)

namespace cvg {

// Runs work() with the GIL released. A C++ exception becomes the Python one: not_implemented (the
// stub's) NotImplementedError, invalid_argument ValueError, anything else RuntimeError. Returns
// false when a Python exception was set.
template <typename Work>
bool without_gil(const char* what, Work&& work) {
  PyObject* error = nullptr;
  std::string message;
  Py_BEGIN_ALLOW_THREADS
  try {
    work();
  } catch (const not_implemented& exc) {
    error = PyExc_NotImplementedError, message = exc.what();
  } catch (const std::invalid_argument& exc) {
    error = PyExc_ValueError, message = exc.what();
  } catch (const std::exception& exc) {
    error = PyExc_RuntimeError, message = exc.what();
  } catch (...) {
    error = PyExc_RuntimeError, message = std::string(what) + " threw something that is not a std::exception";
  }
  Py_END_ALLOW_THREADS
  if (error != nullptr) PyErr_SetString(error, message.c_str());
  return error == nullptr;
}

// The module CVG_MODULE (set by the build) with these functions; for its PyInit_ function.
inline PyObject* create_module(PyMethodDef* methods) {
  static PyModuleDef definition = {PyModuleDef_HEAD_INIT, CVG_TEXT(CVG_MODULE), nullptr, -1, nullptr};
  definition.m_methods = methods;
  return PyModule_Create(&definition);
}

template <typename T>
T* address(unsigned long long value) {
  return reinterpret_cast<T*>(static_cast<uintptr_t>(value));
}

}  // namespace cvg
