// Device queries that must work (and return 0) on machines without a GPU or driver.
#include "check.cuh"
#include "launchers.h"

namespace cvg {
namespace cuda {

int device_count() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the error so later runtime calls do not report it
    return 0;
  }
  return count;
}

}  // namespace cuda
}  // namespace cvg
