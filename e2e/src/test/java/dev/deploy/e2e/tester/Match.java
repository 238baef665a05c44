package dev.deploy.e2e.tester;

/**
 * The verdict of comparing an observed process tree with an {@link Expect}.
 *
 * @param matched true when every process matched
 * @param report one line per difference, each starting with the path of pids to the process it is
 *     about ({@code 3fecd01 > 9a1b2c3: stdout: expected ..., got ...}); empty when matched
 */
public record Match(boolean matched, String report) {}
