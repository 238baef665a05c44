/**
 * The bridge: every process's events, their human and JSON formats, and the run's exit code.
 * Fabrics' threads call {@link dev.deploy.bridge.Bridge} concurrently; it serialises them under one
 * lock, and the formats are called only under it. Not API.
 */
package dev.deploy.bridge;
