/**
 * The cluster key and the handshake every connection runs before its first frame. Called by the
 * thread that owns a connection, before the connection is handed to anyone. Not API.
 */
package dev.deploy.security;
