"""Known-good solutions in the compiled tracks' formats (Numba, C++ kernel bodies, CUDA kernels)."""
