/**
 * A program's class path as content-addressed jars: {@link dev.deploy.program.ClassPathPacker}
 * turns a class path into jars named by their SHA-256 (packing directories deterministically), and
 * {@link dev.deploy.program.JarCache} keeps received jars by hash so an unchanged jar crosses the
 * network once. Called by the {@code deploy} command's thread and by the fabric threads that
 * receive jars; never by the I/O loop, since both read and write files. Not API.
 */
package dev.deploy.program;
