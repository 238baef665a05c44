/**
 * Placement: which machine runs a spawn, the books of free memory and CPU per machine, and the
 * first-come-first-served queue of {@code spawnAsync}. Called from fabrics' control threads and
 * from exit callbacks; all state is under the master's lock. Not API.
 */
package dev.deploy.master;
