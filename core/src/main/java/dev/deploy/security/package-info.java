/**
 * The cluster key and the handshake every connection runs before its first frame. Called by the
 * thread that owns a connection, before the connection is handed to anyone; the daemons' listeners
 * run theirs on a {@code HandshakeAcceptor}'s one thread. Not API.
 */
package dev.deploy.security;
