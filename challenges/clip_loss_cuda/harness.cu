// Bindings for clip_loss_cuda: the candidate writes clip_lse_forward / clip_lse_backward, included
// below. Python passes device pointers (tensor.data_ptr()) and the stream as integers; the adapter
// (adapter.py) owns the tensors and checks them (float32, contiguous, on the GPU) before calling.
#include <cuda_runtime.h>

#include <string>

#include "cvg_python.h"
#include CVG_SOLUTION

namespace {

void check(const char* what) {
  cudaError_t status = cudaGetLastError();
  if (status == cudaSuccess) status = cudaDeviceSynchronize();
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

void check_sizes(const char* what, long long n, long long d) {
  if (n < 0 || d < 1) throw std::invalid_argument(std::string(what) + ": expects n >= 0 and d >= 1");
}

// clip_lse_forward(image, text, n, d, scale, row_lse, col_lse, stream): addresses and the stream as integers.
PyObject* forward(PyObject*, PyObject* args) {
  unsigned long long image, text, row_lse, col_lse, stream;
  long long n, d;
  float scale;
  if (!PyArg_ParseTuple(args, "KKLLfKKK", &image, &text, &n, &d, &scale, &row_lse, &col_lse, &stream)) return nullptr;
  const bool done = cvg::without_gil("clip_lse_forward", [&] {
    check_sizes("clip_lse_forward", n, d);
    clip_lse_forward(cvg::address<const float>(image), cvg::address<const float>(text), n, d, scale,
                     cvg::address<float>(row_lse), cvg::address<float>(col_lse), cvg::address<CUstream_st>(stream));
    check("clip_lse_forward");
  });
  if (!done) return nullptr;
  Py_RETURN_NONE;
}

// clip_lse_backward(image, text, n, d, scale, row_lse, col_lse, grad, grad_image, grad_text, stream).
PyObject* backward(PyObject*, PyObject* args) {
  unsigned long long image, text, row_lse, col_lse, grad_image, grad_text, stream;
  long long n, d;
  float scale, grad;
  if (!PyArg_ParseTuple(args, "KKLLfKKfKKK", &image, &text, &n, &d, &scale, &row_lse, &col_lse, &grad, &grad_image,
                        &grad_text, &stream))
    return nullptr;
  const bool done = cvg::without_gil("clip_lse_backward", [&] {
    check_sizes("clip_lse_backward", n, d);
    clip_lse_backward(cvg::address<const float>(image), cvg::address<const float>(text), n, d, scale,
                      cvg::address<const float>(row_lse), cvg::address<const float>(col_lse), grad,
                      cvg::address<float>(grad_image), cvg::address<float>(grad_text), cvg::address<CUstream_st>(stream));
    check("clip_lse_backward");
  });
  if (!done) return nullptr;
  Py_RETURN_NONE;
}

PyMethodDef methods[] = {{"clip_lse_forward", forward, METH_VARARGS, nullptr},
                         {"clip_lse_backward", backward, METH_VARARGS, nullptr},
                         {nullptr, nullptr, 0, nullptr}};

}  // namespace

PyMODINIT_FUNC CVG_JOIN(PyInit_, CVG_MODULE)(void) { return cvg::create_module(methods); }
