package dev.deploy.master;

import dev.deploy.Pid;
import dev.deploy.Resources;

/**
 * What a fabric is asked to start: a process with {@code resources} that runs {@code task} (a
 * {@code LambdaCodec} blob) for {@code parent}, or the program's {@code main} when {@code task} is
 * null (the first process of a run, whose {@code parent} is null).
 */
public record LaunchOrder(Pid parent, Resources resources, byte[] task) {}
