package dev.deploy.logging;

import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLogger;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * Gives the runtime's classes their SLF4J loggers without making SLF4J complain on a program's
 * behalf. The library ships no logging binding. SLF4J 2 decides, the first time anything asks
 * {@link LoggerFactory} for a logger, which provider to use: the class named by the {@value
 * LoggerFactory#PROVIDER_PROPERTY_KEY} system property, else the first {@link SLF4JServiceProvider}
 * its {@link ServiceLoader} finds from {@code LoggerFactory}'s class loader; with none it prints
 * three {@code SLF4J(W): No SLF4J providers were found} lines on stderr and logs nowhere. So that a
 * program without a binding stays quiet, in the JVM it starts and in every JVM the runtime spawns
 * from it, this class asks {@code LoggerFactory} only when one of those is there (or a binding for
 * SLF4J 1.7, whose warning its user needs), and otherwise hands out the no-op logger that SLF4J
 * would have used. A program that uses SLF4J itself still gets SLF4J's own warning from its own
 * first logger.
 *
 * <p>Thread-safe; the look-up runs once per JVM, on first use.
 */
public final class Loggers {
  private static final String LEGACY_BINDER = "org/slf4j/impl/StaticLoggerBinder.class";

  private Loggers() {}

  /** Returns the logger named after {@code type}, or the no-op logger when SLF4J has no binding. */
  public static Logger get(Class<?> type) {
    return Binding.PRESENT ? LoggerFactory.getLogger(type) : NOPLogger.NOP_LOGGER;
  }

  /**
   * Has SLF4J choose its provider now, on this thread, when there is one. Call it before a JVM
   * starts the threads that log: SLF4J hands a thread that asks while another is still choosing a
   * stand-in logger, and replays what it logged with three {@code SLF4J(W)} lines on stderr (seen
   * under load on a run's first second, when the fabric, master and bridge start at once).
   */
  public static void initialize() {
    if (Binding.PRESENT) {
      LoggerFactory.getILoggerFactory();
    }
  }

  /**
   * True when SLF4J, loaded by {@code loader}, would find a logging provider: the provider property
   * is set, a service provider is declared, or a 1.7 binding is on the class path.
   */
  static boolean bindingPresent(ClassLoader loader) {
    String named = System.getProperty(LoggerFactory.PROVIDER_PROPERTY_KEY);
    if (named != null && !named.isEmpty()) {
      return true;
    }
    ClassLoader from = loader != null ? loader : ClassLoader.getSystemClassLoader();
    try {
      if (ServiceLoader.load(SLF4JServiceProvider.class, from).stream().findAny().isPresent()) {
        return true;
      }
    } catch (ServiceConfigurationError e) {
      return true; // A broken declaration: SLF4J says what is wrong with it better than we can.
    }
    return from.getResource(LEGACY_BINDER) != null;
  }

  /** Holds the answer for this JVM, computed when the first logger is asked for. */
  private static final class Binding {
    static final boolean PRESENT = bindingPresent(LoggerFactory.class.getClassLoader());
  }
}
