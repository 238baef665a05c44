/**
 * The monitor of a machine's processes: launching JVMs, pumping their output to the bridge, waiting
 * for their exit, and serving their control connections. Threads: an acceptor, one per control
 * connection, two pumps per process, a pool for launches and exits. Not API.
 */
package dev.deploy.fabric;
