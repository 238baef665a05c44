/**
 * What {@code init} does: which role this JVM has (from the {@code DEPLOY_*} environment), the
 * local run (bridge + master + fabric in the JVM the user started), the process side of the control
 * connection, the exit notice and {@code spawn}. Runs on the main thread, the control reader thread
 * and the shutdown hooks. Not API.
 */
package dev.deploy.runtime;
