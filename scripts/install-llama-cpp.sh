#!/usr/bin/env bash
# Install llama-cpp-python from a wheel built once per machine and kept outside the clone, so a
# fresh clone (and CI) skips the compile.
#
# PyPI has only the source of llama-cpp-python (no binary wheel), and no registry package ships a
# prebuilt one with the same API, so it is compiled here, limited to what MemAdvisor loads: libllama
# and ggml's CPU backend. Skipped: llama.cpp's common library (see llama-cpp-text-only.cmake) and
# libmtmd (LLAVA_BUILD=OFF; only the image chat handlers load it). That is about 60% less CPU time.
#
# The build is portable x86-64 with AVX2 rather than -march=native: on this machine's AVX-512/AMX
# CPU a native build crashes (SIGSEGV) as soon as a prompt of more than one token is evaluated.
# Extra CMAKE_ARGS from the environment (e.g. -DGGML_CUDA=ON) are appended and get their own wheel.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${1:-.venv/bin/python}
version=$(sed -n 's/.*"llama-cpp-python==\([0-9.]*\)".*/\1/p' "$here/../pyproject.toml")
if "$python" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$version')" 2>/dev/null; then
  exit 0
fi

recipe="-DLLAVA_BUILD=OFF"
if [ "$(uname -m)" = "x86_64" ]; then
  recipe="$recipe -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
fi
recipe="$recipe ${CMAKE_ARGS:-}"
# The cache folder is named after everything that shapes the wheel, so a changed recipe rebuilds.
recipe_id=$(printf '%s\n' "$recipe" | cat - "$here/llama-cpp-text-only.cmake" |
  "$python" -c "import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:8])")
root=${MEMADVISOR_WHEEL_CACHE:-$HOME/.cache/memadvisor}
cache=$root/llama-cpp-python-$version-$(uname -m)-$recipe_id

if ! ls "$cache"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
  echo "Building llama-cpp-python $version once for this machine (3.3 CPU-minutes on 2 cores)..."
  mkdir -p "$root"
  tmp=$(mktemp -d "$root/.building.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  CMAKE_ARGS="$recipe -DCMAKE_PROJECT_llama.cpp_INCLUDE=$here/llama-cpp-text-only.cmake" \
    CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(getconf _NPROCESSORS_ONLN)} \
    "$python" -m pip wheel --no-deps --no-cache-dir -w "$tmp" "llama-cpp-python==$version"
  # Published in one rename, so a concurrent run (CI beside a developer) never sees half a wheel.
  mkdir -p "$tmp/done" && mv "$tmp"/llama_cpp_python-*.whl "$tmp/done/"
  [ -d "$cache" ] || mv "$tmp/done" "$cache"
fi
"$python" -m pip install --no-deps "$cache"/llama_cpp_python-"$version"-*.whl
