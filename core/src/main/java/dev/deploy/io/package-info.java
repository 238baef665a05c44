/**
 * The I/O loop and the transports it drives: one thread per process with a NIO selector,
 * non-blocking handshakes, frame parsing and writing, heartbeats ({@code Connection}), and shared
 * memory beside a connection between processes of one machine ({@code ShmTransport}, opt-in). The
 * loop thread owns reading sockets, closing and timers; other threads {@code execute} commands on
 * it, except a sender writing through an idle connection's output lock or into a ring, and a
 * spinning receiver reading a ring. Not API.
 */
package dev.deploy.io;
