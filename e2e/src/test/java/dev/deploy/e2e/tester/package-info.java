/**
 * The end-to-end tester: runs a program class as real JVMs from the built {@code deploy.jar} with
 * {@code DEPLOY_FORMAT=json} ({@link dev.deploy.e2e.tester.LocalRunner}), parses the bridge's
 * events into a {@link dev.deploy.e2e.tester.ProcessTree} that checks docs/api.md's ordering rules,
 * and compares it with the program's {@link dev.deploy.e2e.tester.Expect}. Every process a test
 * starts is killed by pid after it ({@link dev.deploy.e2e.tester.ProcessCleanup}). The same
 * programs go to a {@link dev.deploy.e2e.tester.Cluster} of real daemons on 127.0.0.0/8 through
 * {@code deploy} ({@link dev.deploy.e2e.tester.ClusterRunner}); {@link
 * dev.deploy.e2e.tester.ClusterCleanup} kills every daemon and everything under them after each
 * test.
 *
 * <p>{@code Expect}, {@code Content}, {@code Outcome}, {@code RunOptions}, {@code ObservedProcess}
 * and {@code Printable} are also loaded by the programs' own JVMs (their {@code EXPECTED} and
 * {@code RUN} fields are built when the class initialises), so they use only the JDK and deploy's
 * core, never JUnit, AssertJ or Awaitility. Test code only; not API.
 */
package dev.deploy.e2e.tester;
