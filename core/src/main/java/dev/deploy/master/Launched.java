package dev.deploy.master;

import dev.deploy.Pid;
import dev.deploy.bridge.ExitStatus;
import java.util.concurrent.CompletableFuture;

/** A process that started and registered as {@code pid}; {@code exit} completes when it ends. */
public record Launched(Pid pid, CompletableFuture<ExitStatus> exit) {}
