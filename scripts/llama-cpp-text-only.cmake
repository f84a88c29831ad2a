# Included by scripts/install-llama-cpp.sh right after llama.cpp's own project() call
# (CMAKE_PROJECT_llama.cpp_INCLUDE). llama-cpp-python forces LLAMA_BUILD_COMMON on in its cache, so a
# plain -DLLAMA_BUILD_COMMON=OFF is overwritten; this normal variable shadows the cached one for
# llama.cpp's directory only. The common library (argument parsing, chat parsers, downloads through
# cpp-httplib) is installed by the wheel but never loaded by llama_cpp's Python code.
set(LLAMA_BUILD_COMMON OFF)
