#!/bin/sh
# Open MPI's shared-memory ping-pong beside ChannelBench (docs/benchmarks.md): an 8-byte round
# trip (p50, p99) and 1 MiB one-way bandwidth, over the vader BTL with its default single-copy
# mechanism (CMA here) and without one (copy in, copy out, as a ring does).
# Needs: apt-get install -y openmpi-bin libopenmpi-dev
# Usage: bench/mpi/pingpong.sh
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=${TMPDIR:-/tmp}/deploy-mpi-pingpong
mpicc -O2 -o "$out" "$here/pingpong.c"
run="mpirun --allow-run-as-root --oversubscribe -np 2 --mca btl self,vader"
echo "-- vader, default single copy"
$run "$out"
echo "-- vader, btl_vader_single_copy_mechanism none"
$run --mca btl_vader_single_copy_mechanism none "$out"
