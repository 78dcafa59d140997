// Bindings for box_iou_cuda: the candidate writes box_iou_kernel, included below. Arguments are
// device pointers taken from torch CUDA tensors by adapter.py; the launch uses the caller's stream.
#include <cuda_runtime.h>

#include <string>

#include "cvg_python.h"
#include CVG_SOLUTION

template <typename T>
void launch(unsigned long long boxes1, int64_t n, unsigned long long boxes2, int64_t m, unsigned long long out,
            unsigned long long stream) {
#ifdef CVG_NOT_STARTED
  throw cvg::not_implemented("box_iou_kernel");
#else
  if (n == 0 || m == 0) return;
  dim3 block(16, 16);
  dim3 grid((unsigned)((m + 15) / 16), (unsigned)((n + 15) / 16));
  box_iou_kernel<T><<<grid, block, 0, cvg::address<CUstream_st>(stream)>>>(
      cvg::address<const T>(boxes1), n, cvg::address<const T>(boxes2), m, cvg::address<T>(out));
  cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) throw std::runtime_error(std::string("box_iou_kernel launch failed: ") + cudaGetErrorString(status));
#endif
}

// box_iou_f32 / box_iou_f64(boxes1, n, boxes2, m, out, stream): device addresses and the stream as integers.
template <typename T>
static PyObject* bind(PyObject*, PyObject* args) {
  unsigned long long boxes1, boxes2, out, stream;
  long long n, m;
  if (!PyArg_ParseTuple(args, "KLKLKK", &boxes1, &n, &boxes2, &m, &out, &stream)) return nullptr;
  if (!cvg::without_gil("box_iou_kernel", [&] { launch<T>(boxes1, n, boxes2, m, out, stream); })) return nullptr;
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"box_iou_f32", bind<float>, METH_VARARGS, nullptr},
                                {"box_iou_f64", bind<double>, METH_VARARGS, nullptr},
                                {nullptr, nullptr, 0, nullptr}};
PyMODINIT_FUNC CVG_JOIN(PyInit_, CVG_MODULE)(void) { return cvg::create_module(methods); }
