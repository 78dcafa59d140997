// Provided to every compiled-track solution. A stub throws cvg::not_implemented until the
// candidate writes the kernel; the harness turns it into Python's NotImplementedError.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace cvg {
struct not_implemented : std::logic_error {
  explicit not_implemented(const std::string& what) : std::logic_error(what + " is not implemented yet") {}
};
}  // namespace cvg
