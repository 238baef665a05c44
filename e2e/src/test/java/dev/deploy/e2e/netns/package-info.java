/**
 * The fault suite across machines: {@link dev.deploy.e2e.netns.Network} makes machines of Linux
 * network namespaces on one bridge and injects faults (nftables partitions, iptables loss, tc
 * shaping, links down), {@link dev.deploy.e2e.netns.NetCluster} runs a real master, three workers
 * and the {@code deploy} client on them with the tester's {@link dev.deploy.e2e.tester.Daemon} and
 * {@link dev.deploy.e2e.tester.RunningProgram}, and {@link dev.deploy.e2e.netns.FaultsIT} checks
 * the cluster's promises under each fault, printing the figures (docs/reliability.md).
 */
package dev.deploy.e2e.netns;
