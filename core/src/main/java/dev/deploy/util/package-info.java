/**
 * Small pieces the other packages would otherwise each write again: request tables, future
 * unwrapping, bounded histories, daemon threads, owner-only files, {@code host:port}. Imports
 * nothing of deploy: every other package may use it.
 */
package dev.deploy.util;
