// Bindings for nms_cuda: the candidate writes nms_mask_kernel, included below. adapter.py sorts
// the boxes on the device and passes device pointers; this file launches the kernel on the
// caller's stream, copies the mask to the host and does the greedy walk there (as torchvision's
// CUDA nms does), returning the kept positions in the sorted order.
#include <cuda_runtime.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "cvg_kernel.h"
#include CVG_SOLUTION

namespace py = pybind11;

static void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

template <typename T>
py::array_t<int64_t> launch(uintptr_t sorted_boxes, int64_t n, double iou_threshold, uintptr_t mask, uintptr_t stream) {
#ifdef CVG_NOT_STARTED
  throw cvg::not_implemented("nms_mask_kernel");
#else
  std::vector<int64_t> kept;
  if (n > 0) {
    const int64_t words = (n + 63) / 64;
    std::vector<unsigned long long> host(static_cast<size_t>(n * words));
    {
      py::gil_scoped_release release;
      const auto s = reinterpret_cast<cudaStream_t>(stream);
      // Compared in T, like the reference's `iou > iou_threshold` on a tensor of dtype T.
      const T threshold = static_cast<T>(iou_threshold);
      dim3 grid((unsigned)words, (unsigned)words);
      nms_mask_kernel<T><<<grid, 64, 0, s>>>(reinterpret_cast<const T*>(sorted_boxes), n, threshold, words,
                                             reinterpret_cast<unsigned long long*>(mask));
      check(cudaGetLastError(), "nms_mask_kernel launch failed");
      check(cudaMemcpyAsync(host.data(), reinterpret_cast<const void*>(mask), host.size() * sizeof(unsigned long long),
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
  py::array_t<int64_t> out(static_cast<py::ssize_t>(kept.size()));
  std::copy(kept.begin(), kept.end(), out.mutable_data());
  return out;
#endif
}

PYBIND11_MODULE(CVG_MODULE, module) {
  py::register_local_exception<cvg::not_implemented>(module, "NotImplemented", PyExc_NotImplementedError);
  module.def("nms_f32", &launch<float>);
  module.def("nms_f64", &launch<double>);
}
