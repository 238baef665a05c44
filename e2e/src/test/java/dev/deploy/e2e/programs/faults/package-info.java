/**
 * Programs for the fault suite across machines of network namespaces, driven by {@code
 * netns.FaultsIT}: they have no {@code EXPECTED} (the suites skip them), since what they show (a
 * partition, packet loss, a frozen or vanished machine) has no local run to compare with. Each
 * child says on which host it runs (its pid's address) and its own OS pid.
 */
package dev.deploy.e2e.programs.faults;
