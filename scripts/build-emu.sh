#!/usr/bin/env bash
# Builds the emulated CUDA device: every kernels-cu/*.cu (and the emulator's own test kernels
# under tests/NativeContrastive.Tests/Kernels/cu) compiled by the host C++ compiler into one
# shared library per .cu, next to the emu runtime (libnc_emu_rt.so) and the script runner
# (nc-emu-runner) that runs launches in a child process.
#
#   scripts/build-emu.sh [release|asan|tsan|ucontext|all]   (default: release; all = the first three)
#   ucontext: release with the portable ucontext fiber switch instead of the x86-64 one.
#
# Output: artifacts/emu/<variant>/. Incremental: a target is rebuilt only when a source it
# depends on is newer. -fstack-clash-protection makes a frame larger than the guard page
# probe it page by page, so a fiber stack overflow faults in the guard page (reported as such)
# instead of landing in a neighbouring stack. The runtime is never instrumented; in the asan / tsan variants the
# kernels and the runner are (the runner brings the sanitizer runtime into the process).
set -euo pipefail
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/.."
CXX=${CXX:-g++}
command -v "$CXX" >/dev/null || { echo "build-emu.sh: $CXX not found (apt-get install g++)" >&2; exit 1; }

variants=("${@:-release}")
[ "${variants[0]}" = all ] && variants=(release asan tsan)

common=(-std=c++20 -fPIC -fstack-clash-protection -Wall -Wno-unknown-pragmas -Wno-unused-function -Wno-unused-variable)
headers=(kernels-cu/*.cuh native/emu/nc_emu.hpp)
sources=(kernels-cu/*.cu)
if compgen -G "tests/NativeContrastive.Tests/Kernels/cu/*.cu" >/dev/null; then
  sources+=(tests/NativeContrastive.Tests/Kernels/cu/*.cu)
fi

# newer TARGET DEP...: true when TARGET is missing or older than a DEP (or than this script).
newer() {
  local t=$1; shift
  [ -e "$t" ] || return 0
  local d
  for d in "$@" "$SELF"; do [ "$d" -nt "$t" ] && return 0; done
  return 1
}

build_variant() {
  local v=$1 out=artifacts/emu/$1 flags rtflags=()
  case $v in
    release) flags=(-O2) ;;
    ucontext) flags=(-O2); rtflags=(-DNC_EMU_UCONTEXT) ;;
    asan) flags=(-O1 -g -fno-omit-frame-pointer -fsanitize=address) ;;
    tsan) flags=(-O1 -g -fsanitize=thread) ;;
    *) echo "build-emu.sh: unknown variant $v (release|asan|tsan|ucontext|all)" >&2; exit 2 ;;
  esac
  mkdir -p "$out"
  local rt=$out/libnc_emu_rt.so
  if newer "$rt" native/emu/nc_emu_runtime.cpp native/emu/nc_emu.hpp; then
    echo "emu[$v]: runtime"
    "$CXX" "${common[@]}" "${rtflags[@]}" -O2 -shared -Wl,-soname,libnc_emu_rt.so -o "$rt.tmp" native/emu/nc_emu_runtime.cpp -pthread
    mv -f "$rt.tmp" "$rt"
  fi
  local runner=$out/nc-emu-runner
  if newer "$runner" native/emu/nc_emu_runner.cpp "$rt"; then
    echo "emu[$v]: runner"
    "$CXX" "${common[@]}" "${flags[@]}" -o "$runner.tmp" native/emu/nc_emu_runner.cpp -L"$out" -lnc_emu_rt \
      -Wl,-rpath,'$ORIGIN' -ldl -pthread
    mv -f "$runner.tmp" "$runner"
  fi
  local pids=() src name so
  for src in "${sources[@]}"; do
    name=$(basename "$src" .cu)
    so=$out/$name.so
    if newer "$so" "$src" "${headers[@]}" "$rt"; then
      echo "emu[$v]: $src"
      ( "$CXX" "${common[@]}" "${flags[@]}" -shared -fvisibility=hidden -D__CUDA_EMU__ -Inative/emu -Ikernels-cu \
          -x c++ "$src" -o "$so.tmp" -L"$out" -lnc_emu_rt -Wl,-rpath,'$ORIGIN' && mv -f "$so.tmp" "$so" ) &
      pids+=($!)
      # two compilers at a time: the machine is shared
      if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}" || exit 1; pids=("${pids[@]:1}"); fi
    fi
  done
  for p in "${pids[@]}"; do wait "$p" || exit 1; done
}

for v in "${variants[@]}"; do build_variant "$v"; done
