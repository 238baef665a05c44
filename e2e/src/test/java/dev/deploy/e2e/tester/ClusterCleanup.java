package dev.deploy.e2e.tester;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test (or test factory, whose dynamic tests then share it) a fresh {@link Clusters} as
 * a parameter and, after the test, whether it passed or failed, closes it: every deploy client,
 * daemon and process under a daemon is killed by pid and waited for, and the clusters' directories
 * are deleted.
 */
public final class ClusterCleanup implements ParameterResolver, AfterEachCallback {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ClusterCleanup.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Clusters.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(Clusters.class, type -> new Clusters(), Clusters.class);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Clusters clusters = context.getStore(NAMESPACE).remove(Clusters.class, Clusters.class);
    if (clusters != null) {
      clusters.close();
    }
  }
}
