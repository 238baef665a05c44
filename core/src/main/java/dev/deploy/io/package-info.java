/**
 * The I/O loop and the connections it drives: one thread per process with a NIO selector,
 * non-blocking handshakes, frame parsing and writing, heartbeats. Only the loop thread touches
 * sockets; other threads {@code execute} commands on it. Not API.
 */
package dev.deploy.io;
