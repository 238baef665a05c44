/**
 * Programs for a real Slurm allocation, driven by {@code SlurmIT}: they have no {@code EXPECTED}
 * (the suites skip them). Each process says which Slurm node runs it ({@code SLURMD_NODENAME},
 * which reaches every process from its node's fabric) and, where a test must check that nothing
 * outlives the job, its own pid and its fabric's.
 */
package dev.deploy.e2e.programs.slurm;
