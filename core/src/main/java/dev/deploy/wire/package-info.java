/**
 * Frames and the control messages that travel in them between a process and its fabric. Read by
 * each connection's reader thread, written by any thread under the writer's lock. Not API.
 */
package dev.deploy.wire;
