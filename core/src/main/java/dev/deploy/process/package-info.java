/**
 * How a process's JVM is started: its command line. Used by the fabric's launch thread. Not API.
 */
package dev.deploy.process;
