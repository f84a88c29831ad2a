#!/usr/bin/env bash
# Install llama-cpp-python from a wheel built once per machine and kept outside the clone, so a
# fresh clone (and CI) skips the ~5-minute compile.
#
# The build is portable x86-64 with AVX2 rather than -march=native: on this machine's AVX-512/AMX
# CPU a native build crashes (SIGSEGV) as soon as a prompt of more than one token is evaluated.
set -euo pipefail
python=${1:-.venv/bin/python}
version=$(sed -n 's/.*"llama-cpp-python==\([0-9.]*\)".*/\1/p' pyproject.toml)
cache=${MEMADVISOR_WHEEL_CACHE:-$HOME/.cache/memadvisor}/llama-cpp-python-$version-avx2
if "$python" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$version')" 2>/dev/null; then
  exit 0
fi
if ! ls "$cache"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
  echo "Building llama-cpp-python $version once for this machine (about 5 minutes on 2 cores)..."
  mkdir -p "$cache"
  if [ "$(uname -m)" = "x86_64" ]; then
    export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  fi
  "$python" -m pip wheel --no-deps --no-cache-dir -w "$cache" "llama-cpp-python==$version"
fi
"$python" -m pip install --no-deps "$cache"/llama_cpp_python-"$version"-*.whl
