// Bindings for nms_cuda: the candidate writes nms_mask_kernel, included below. adapter.py sorts
// the boxes on the device and passes device pointers; this file launches the kernel on the
// caller's stream, copies the mask to the host and does the greedy walk there (as torchvision's
// CUDA nms does), returning the kept positions in the sorted order.
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "cvg_python.h"
#include CVG_SOLUTION

static void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

template <typename T>
std::vector<int64_t> launch(unsigned long long sorted_boxes, int64_t n, double iou_threshold, unsigned long long mask,
                            unsigned long long stream) {
#ifdef CVG_NOT_STARTED
  throw cvg::not_implemented("nms_mask_kernel");
#else
  std::vector<int64_t> kept;
  if (n > 0) {
    const int64_t words = (n + 63) / 64;
    std::vector<unsigned long long> host(static_cast<size_t>(n * words));
    {
      const auto s = cvg::address<CUstream_st>(stream);
      // Compared in T, like the reference's `iou > iou_threshold` on a tensor of dtype T.
      const T threshold = static_cast<T>(iou_threshold);
      dim3 grid((unsigned)words, (unsigned)words);
      nms_mask_kernel<T><<<grid, 64, 0, s>>>(cvg::address<const T>(sorted_boxes), n, threshold, words,
                                             cvg::address<unsigned long long>(mask));
      check(cudaGetLastError(), "nms_mask_kernel launch failed");
      check(cudaMemcpyAsync(host.data(), cvg::address<const void>(mask), host.size() * sizeof(unsigned long long),
                            cudaMemcpyDeviceToHost, s),
            "copying the mask back failed");
      check(cudaStreamSynchronize(s), "nms_mask_kernel failed");
      // Greedy walk over the sorted boxes: keep i unless a kept box removed it.
      std::vector<unsigned long long> removed(static_cast<size_t>(words), 0ULL);
      for (int64_t i = 0; i < n; ++i) {
        if ((removed[i / 64] >> (i % 64)) & 1ULL) continue;
        kept.push_back(i);
        const unsigned long long* row = host.data() + i * words;
        for (int64_t w = i / 64; w < words; ++w) removed[w] |= row[w];
      }
    }
  }
  return kept;
#endif
}

// nms_f32 / nms_f64(sorted_boxes, n, iou_threshold, mask, stream) -> the kept positions, a list.
template <typename T>
static PyObject* bind(PyObject*, PyObject* args) {
  unsigned long long sorted_boxes, mask, stream;
  long long n;
  double iou_threshold;
  if (!PyArg_ParseTuple(args, "KLdKK", &sorted_boxes, &n, &iou_threshold, &mask, &stream)) return nullptr;
  std::vector<int64_t> kept;
  if (!cvg::without_gil("nms_mask_kernel", [&] { kept = launch<T>(sorted_boxes, n, iou_threshold, mask, stream); }))
    return nullptr;
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(kept.size()));
  for (size_t i = 0; list != nullptr && i < kept.size(); ++i) PyList_SET_ITEM(list, i, PyLong_FromLongLong(kept[i]));
  return list;
}

static PyMethodDef methods[] = {{"nms_f32", bind<float>, METH_VARARGS, nullptr},
                                {"nms_f64", bind<double>, METH_VARARGS, nullptr},
                                {nullptr, nullptr, 0, nullptr}};
PyMODINIT_FUNC CVG_JOIN(PyInit_, CVG_MODULE)(void) { return cvg::create_module(methods); }
