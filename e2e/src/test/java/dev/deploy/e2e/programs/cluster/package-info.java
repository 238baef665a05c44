/**
 * Programs that only make sense on a cluster, driven by {@code ClusterIT}: they have no {@code
 * EXPECTED} (the suite skips them), since what they show (which machine a process runs on, a
 * machine that dies, a client that is killed) has no local run to compare with. Each child says
 * where it runs: the host of its pid's address, which is its machine's loopback address.
 */
package dev.deploy.e2e.programs.cluster;
