#!/usr/bin/env bash
# Installs every Debian 12 package dort needs to build, test and benchmark.
# Idempotent: when everything is already installed it does nothing (no apt-get update either).
set -euo pipefail

packages=(
  g++ cmake make ccache pkg-config   # toolchain
  libcaf-dev                         # actors (CAF 0.17.6)
  liblmdb-dev                        # storage
  libsimdjson-dev                    # JSON parsing
  rapidjson-dev                      # JSON writing
  libxxhash-dev                      # object ids
  doctest-dev                        # tests
  libboost-dev                       # HTTP server (Boost.Beast on Asio, header-only)
  libcurl4-openssl-dev               # the http task's client
  libcli11-dev                       # command line of the dort binary
  libspdlog-dev                      # structured logs
  libjemalloc-dev                    # the programs' memory allocator
  clang libclang-rt-14-dev           # fuzz targets: clang with libFuzzer (scripts/fuzz.sh)
  wrk                                # the HTTP benchmarks (bench/http/*.sh)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if (( ${#missing[@]} == 0 )); then
  exit 0
fi

sudo_cmd=()
if (( EUID != 0 )); then sudo_cmd=(sudo); fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
