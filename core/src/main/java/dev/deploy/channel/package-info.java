/**
 * Channels: the table of peers, each peer's queues, credit, acknowledgements and fate, and the ends
 * under {@code Sender} and {@code Receiver}. User threads encode, decode and wait here; the I/O
 * loop moves bytes. Not API.
 */
package dev.deploy.channel;
