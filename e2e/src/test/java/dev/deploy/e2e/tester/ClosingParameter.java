package dev.deploy.e2e.tester;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test (or test factory, whose dynamic tests then share it) a fresh {@code T} as a
 * parameter and closes it after the test, whether it passed or failed.
 */
public abstract class ClosingParameter<T extends AutoCloseable>
    implements ParameterResolver, AfterEachCallback {
  private final Class<T> type;
  private final Supplier<T> make;
  private final ExtensionContext.Namespace namespace;

  protected ClosingParameter(Class<T> type, Supplier<T> make) {
    this.type = type;
    this.make = make;
    this.namespace = ExtensionContext.Namespace.create(getClass());
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == type;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getStore(namespace).getOrComputeIfAbsent(type, t -> make.get(), type);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    T made = context.getStore(namespace).remove(type, type);
    if (made != null) {
      made.close();
    }
  }
}
