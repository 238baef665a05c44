/**
 * The live view of a run and its {@code /metrics}: {@link dev.deploy.ui.LiveView} watches a
 * bridge's events ({@code RunView} keeps processes, states and a bounded tail of each one's
 * output), and {@code UiServer} serves one static page, its JSON and the Prometheus text on the
 * JDK's {@code com.sun.net.httpserver}. Fabrics' threads feed it under the bridge's lock; the
 * server's own two threads read it. Not API.
 */
package dev.deploy.ui;
