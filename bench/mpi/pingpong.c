/*
 * Open MPI's shared-memory round trip, the floor deploy's same-machine channels are compared
 * with (docs/benchmarks.md). Two ranks on one machine bounce an 8-byte message (a long, as
 * ChannelBench's round trip does) and a 1 MiB message; prints p50 and p99 of the round trip in
 * microseconds and the 1 MiB one-way bandwidth. Run by pingpong.sh.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int rank, warmup = 10000, count = 20000, big = 1 << 20, bigCount = 2000;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int peer = 1 - rank;
  long value = 0;
  double *rtt = malloc(sizeof(double) * count);
  for (int i = 0; i < warmup + count; i++) {
    if (rank == 0) {
      double t0 = MPI_Wtime();
      MPI_Send(&value, 1, MPI_LONG, peer, 0, MPI_COMM_WORLD);
      MPI_Recv(&value, 1, MPI_LONG, peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (i >= warmup) rtt[i - warmup] = (MPI_Wtime() - t0) * 1e6;
      value++;
    } else {
      MPI_Recv(&value, 1, MPI_LONG, peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(&value, 1, MPI_LONG, peer, 0, MPI_COMM_WORLD);
    }
  }
  char *buffer = malloc(big);
  memset(buffer, 7, big);
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = MPI_Wtime();
  for (int i = 0; i < bigCount; i++) {
    if (rank == 0) {
      MPI_Send(buffer, big, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
    } else {
      MPI_Recv(buffer, big, MPI_BYTE, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
  }
  if (rank == 0) {
    MPI_Recv(&value, 1, MPI_LONG, peer, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  } else {
    MPI_Send(&value, 1, MPI_LONG, peer, 2, MPI_COMM_WORLD);
  }
  double seconds = MPI_Wtime() - t0;
  if (rank == 0) {
    qsort(rtt, count, sizeof(double), compare);
    printf("Open MPI sm ping-pong 8 B RTT p50 %.2f us, p99 %.2f us (%d round trips)\n",
           rtt[count / 2], rtt[count * 99 / 100], count);
    printf("Open MPI sm 1 MiB one-way: %.0f MiB/s (%d messages)\n", bigCount / seconds, bigCount);
  }
  MPI_Finalize();
  return 0;
}
