package dev.deploy.wire;

/** One frame: a type byte and its payload. */
public record Frame(int type, byte[] payload) {}
