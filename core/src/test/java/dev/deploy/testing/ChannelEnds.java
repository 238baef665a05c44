package dev.deploy.testing;

import dev.deploy.Receiver;
import dev.deploy.Sender;
import dev.deploy.channel.ReceiveEnd;
import dev.deploy.channel.SendEnd;
import java.lang.reflect.Field;
import org.objenesis.ObjenesisStd;

/**
 * Wraps a table's ends in the API facades without a process runtime: {@code new Sender(pid)} needs
 * {@code ProcessRuntime.get()}, which only a real deploy process has, while {@code Select} takes
 * facades. The facade is created without its constructor and its one field set, so no global state
 * changes. Test-only; thread safe.
 */
public final class ChannelEnds {
  private static final ObjenesisStd OBJENESIS = new ObjenesisStd(true);

  private ChannelEnds() {}

  /** Returns a {@link Sender} over {@code end}. */
  @SuppressWarnings("unchecked")
  public static <T> Sender<T> sender(SendEnd end) {
    return (Sender<T>) wrap(Sender.class, end);
  }

  /** Returns a {@link Receiver} over {@code end}. */
  @SuppressWarnings("unchecked")
  public static <T> Receiver<T> receiver(ReceiveEnd end) {
    return (Receiver<T>) wrap(Receiver.class, end);
  }

  private static Object wrap(Class<?> facade, Object end) {
    Object instance = OBJENESIS.newInstance(facade);
    try {
      Field field = facade.getDeclaredField("end");
      field.setAccessible(true);
      field.set(instance, end);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(facade.getName() + " no longer keeps its end in a field 'end'", e);
    }
    return instance;
  }
}
