package dev.deploy.master;

import dev.deploy.Resources;

/**
 * One node as the master's books have it at one moment: its capacity, what is free of it, and
 * whether it is reachable. For views and metrics; a copy, never updated.
 *
 * @param name the node's name ({@code local}, {@code master}, {@code host:port})
 * @param capacity what it may run in all
 * @param freeMemory bytes not reserved by a process or a warm JVM
 * @param freeCpu cores not reserved
 * @param up false while its machine is unreachable
 */
public record NodeUse(
    String name, Resources capacity, long freeMemory, double freeCpu, boolean up) {}
