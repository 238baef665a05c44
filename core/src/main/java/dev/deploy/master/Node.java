package dev.deploy.master;

import dev.deploy.Resources;

/** A machine the master places processes on: its name, its whole capacity, its fabric. */
public record Node(String name, Resources capacity, Launcher launcher) {}
