// Host-side launchers of the CUDA kernels. Plain C++ types only, so bindings.cpp needs neither
// nvcc nor the CUDA headers. Pointers are raw device addresses (torch's tensor.data_ptr()), the
// stream is the caller's cudaStream_t as an integer (torch.cuda.current_stream().cuda_stream).
// Every launcher checks its CUDA calls and throws std::runtime_error on failure.
#pragma once

#include <cstdint>

namespace cvg {
namespace cuda {

enum DTypeCode : int { kFloat32 = 0, kFloat64 = 1 };

// Number of visible CUDA devices; 0 when there is no driver or no device (never throws).
int device_count();

// out (n, m) = IoU(a (n, 4), b (m, 4)), all of dtype `dtype`, on `device`, queued on `stream`.
void box_iou(int device, std::uintptr_t a, int64_t n, std::uintptr_t b, int64_t m,
             std::uintptr_t out, int dtype, std::uintptr_t stream);

// 64-bit words per row of the NMS suppression mask for n boxes: ceil(n / 64).
int64_t nms_mask_words(int64_t n);

// Greedy NMS over `sorted_boxes` (n, 4), already ordered by descending score. Scratch buffers
// (any 8-byte dtype): mask n * nms_mask_words(n) words, removed nms_mask_words(n) words. Writes the
// kept positions (into the sorted order) to keep[0 .. *count) (int64) and their number to count
// (one int64), entirely on the device, queued on `stream`.
void nms(int device, std::uintptr_t sorted_boxes, int64_t n, double iou_threshold, int dtype,
         std::uintptr_t mask, std::uintptr_t removed, std::uintptr_t keep, std::uintptr_t count,
         std::uintptr_t stream);

}  // namespace cuda
}  // namespace cvg
