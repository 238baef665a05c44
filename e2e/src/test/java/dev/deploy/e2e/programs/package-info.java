/**
 * Programs that carry their expected outcome. Each is a class with a {@code main} that calls {@code
 * init} first, a {@code static final Expect EXPECTED} and, when it needs a special run
 * (environment, JVM options, a throw-away class directory), a {@code static final RunOptions RUN}.
 * {@code LocalSuiteIT} finds and runs every one of them; the sub-package is the area it is reported
 * under. Classes without {@code EXPECTED} are driven by a dedicated test ({@code
 * cleanup.SleepingChildren}, {@code badinput.SpawnBeforeInit}) or are not programs at all.
 */
package dev.deploy.e2e.programs;
