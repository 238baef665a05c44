#!/bin/sh
# Open MPI's shared-memory ping-pong beside ChannelBench (docs/benchmarks.md).
# Needs: apt-get install -y openmpi-bin libopenmpi-dev
# Usage: bench/mpi/pingpong.sh [taskset cpu list, e.g. 0 for one core]
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=${TMPDIR:-/tmp}/deploy-mpi-pingpong
mpicc -O2 -o "$out" "$here/pingpong.c"
pin=""
if [ -n "$1" ]; then pin="taskset -c $1"; fi
$pin mpirun --allow-run-as-root --oversubscribe -np 2 --mca btl self,vader "$out"
