// Bindings for clip_loss_cuda: the candidate writes clip_lse_forward / clip_lse_backward, included
// below. Python passes device pointers (tensor.data_ptr()) and the stream as integers; the adapter
// (adapter.py) owns the tensors and checks them (float32, contiguous, on the GPU) before calling.
#include <cuda_runtime.h>
#include <pybind11/pybind11.h>

#include <string>

#include "cvg_kernel.h"
#include CVG_SOLUTION

namespace py = pybind11;

namespace {

template <typename T>
T* ptr(uintptr_t address) {
  return reinterpret_cast<T*>(address);
}

void check(const char* what) {
  cudaError_t status = cudaGetLastError();
  if (status == cudaSuccess) status = cudaDeviceSynchronize();
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

}  // namespace

PYBIND11_MODULE(CVG_MODULE, module) {
  py::register_local_exception<cvg::not_implemented>(module, "NotImplemented", PyExc_NotImplementedError);
  module.def("clip_lse_forward", [](uintptr_t image, uintptr_t text, int64_t n, int64_t d, float scale,
                                    uintptr_t row_lse, uintptr_t col_lse, uintptr_t stream) {
    if (n < 0 || d < 1) throw py::value_error("clip_lse_forward: expects n >= 0 and d >= 1");
    {
      py::gil_scoped_release release;
      clip_lse_forward(ptr<const float>(image), ptr<const float>(text), n, d, scale, ptr<float>(row_lse),
                       ptr<float>(col_lse), reinterpret_cast<cudaStream_t>(stream));
      check("clip_lse_forward");
    }
  });
  module.def("clip_lse_backward", [](uintptr_t image, uintptr_t text, int64_t n, int64_t d, float scale,
                                     uintptr_t row_lse, uintptr_t col_lse, float grad, uintptr_t grad_image,
                                     uintptr_t grad_text, uintptr_t stream) {
    if (n < 0 || d < 1) throw py::value_error("clip_lse_backward: expects n >= 0 and d >= 1");
    {
      py::gil_scoped_release release;
      clip_lse_backward(ptr<const float>(image), ptr<const float>(text), n, d, scale, ptr<const float>(row_lse),
                        ptr<const float>(col_lse), grad, ptr<float>(grad_image), ptr<float>(grad_text),
                        reinterpret_cast<cudaStream_t>(stream));
      check("clip_lse_backward");
    }
  });
}
