package dev.deploy.codec;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import java.util.Objects;

/**
 * The {@link Codec} of the runtime: Kryo 5 with the program's classes written by name, checked
 * against a {@link ClassAllowList} on both sides (on the read side before a class is even loaded).
 * Thread-safe: Kryo instances, each with its reused output and input buffers, live in a pool and
 * serve one thread at a time, so virtual threads do not each build their own.
 *
 * <p><b>No reference tracking.</b> Messages are values, and channels promise nothing about shared
 * or cyclic graphs. Tracking references costs an identity-map lookup per object on both sides
 * (measured, encode plus decode: a two-int record 253 ns off, 285 ns on; a record holding a list of
 * three records and a map about 1.1 to 1.5 us off, 1.5 to 1.8 us on) and a byte per object. Without
 * it Kryo's depth limit ({@link MessageKryo#MAX_DEPTH}) turns a cycle into an {@link
 * IllegalArgumentException} before the stack can overflow; an object reachable twice arrives as two
 * equal copies.
 *
 * <p><b>Start-up.</b> Every spawned JVM decodes its task on the spawn path, so nothing happens
 * until the first call: the first {@code encode} or {@code decode} creates one Kryo instance, which
 * registers only the classes that need serializers of ours. That first call still costs 70 to 100
 * ms in a fresh JDK 17 JVM on a 2-core machine (Kryo's own constructor, loading some 110 classes,
 * is 50 to 70 ms of it; an AppCDS archive brings the total to about 40 ms), later ones about 0.1
 * ms: call {@link #warmUp} on a spare thread early to take it off the critical path. Loading this
 * class sets the system property {@code kryo.unsafe=false} unless it is set: Kryo's use of {@code
 * sun.misc.Unsafe} makes JDK 24+ print warnings on every process's stderr.
 */
public final class KryoCodec implements Codec {
  static {
    // Kryo reads this once, when its Util class initialises (first Kryo instance). By default Kryo
    // uses sun.misc.Unsafe, and from JDK 24 on the JVM then prints deprecation warnings to the
    // stderr of every process. Reflection (and ReflectASM for public fields) does the same job.
    if (System.getProperty("kryo.unsafe") == null) {
      System.setProperty("kryo.unsafe", "false");
    }
  }

  /** Output buffers start this small: most messages are small. */
  private static final int INITIAL_BUFFER = 256;

  /** A session whose output grew past this gets a fresh one, so the pool holds no huge buffers. */
  private static final int MAX_RETAINED_BUFFER = 64 * 1024;

  private final ClassAllowList allowList;

  /** Idle sessions; a thread takes one for one call. Thread-safe. */
  private final Pool<Session> sessions;

  /** Creates a codec for the program's classes as seen by the system class loader. */
  public KryoCodec() {
    this(ClassLoader.getSystemClassLoader());
  }

  /** Creates a codec for the program's classes as seen by {@code loader}. */
  public KryoCodec(ClassLoader loader) {
    this.allowList = new ClassAllowList(Objects.requireNonNull(loader, "loader"));
    int capacity = Math.max(4, Runtime.getRuntime().availableProcessors());
    this.sessions =
        new Pool<>(true, false, capacity) {
          @Override
          protected Session create() {
            return new Session(new MessageKryo(allowList));
          }
        };
  }

  /** The shared codec behind {@link Codec#standard()}, created on first use. */
  static KryoCodec standard() {
    return Standard.INSTANCE;
  }

  /**
   * Creates a pooled Kryo instance now, if none is idle, so that the first {@code encode} or {@code
   * decode} does not pay for it. Thread-safe; meant for a spare thread at process start.
   */
  @Override
  public void warmUp() {
    sessions.free(sessions.obtain());
  }

  @Override
  public byte[] encode(Object value) {
    byte[] fast = ScalarCodec.encode(value);
    return fast != null ? fast : encodeWithKryo(value);
  }

  /** {@link #encode} without the scalar fast path: Kryo itself (tests compare the two). */
  byte[] encodeWithKryo(Object value) {
    Session session = sessions.obtain();
    boolean reusable = false;
    try {
      session.output.reset();
      session.kryo.writeClassAndObject(session.output, value);
      byte[] bytes = session.output.toBytes();
      reusable = true;
      return bytes;
    } catch (RuntimeException | StackOverflowError | LinkageError e) {
      throw encodeFailure(value, e);
    } finally {
      if (session.output.getBuffer().length > MAX_RETAINED_BUFFER) {
        session.output.setBuffer(new byte[INITIAL_BUFFER], -1);
      }
      release(session, reusable);
    }
  }

  @Override
  public Object decode(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    Object fast = ScalarCodec.decode(bytes, offset, length);
    return fast != null ? fast : decodeWithKryo(bytes, offset, length);
  }

  /** {@link #decode} without the scalar fast path: Kryo itself (tests compare the two). */
  Object decodeWithKryo(byte[] bytes, int offset, int length) {
    Session session = sessions.obtain();
    boolean reusable = false;
    try {
      session.input.reset(bytes, offset, length);
      Object value = session.kryo.readClassAndObject(session.input);
      reusable = true;
      int left = session.input.remaining();
      if (left != 0) {
        throw new CodecException(
            "malformed message: "
                + left
                + " bytes left after a "
                + (value == null ? "null" : value.getClass().getName()));
      }
      return value;
    } catch (CodecException e) {
      throw e;
    } catch (RuntimeException | StackOverflowError | LinkageError e) {
      throw decodeFailure(e);
    } finally {
      session.input.release();
      release(session, reusable);
    }
  }

  /**
   * Returns a session to the pool, or drops it after a failure: an exception can leave a Kryo
   * instance mid-graph (depth, generics stack), and a new one is cheaper than proving otherwise.
   */
  private void release(Session session, boolean reusable) {
    if (reusable) {
      sessions.free(session);
    }
  }

  private static IllegalArgumentException encodeFailure(Object value, Throwable failure) {
    String valueClass = value == null ? "null" : value.getClass().getName();
    RefusedClassException refused = find(failure, RefusedClassException.class);
    if (refused != null) {
      String inside =
          refused.className().equals(valueClass) ? "" : " (inside a " + valueClass + ")";
      return new IllegalArgumentException(refused.encodeMessage() + inside, failure);
    }
    if (tooDeep(failure)) {
      return new IllegalArgumentException(
          "cannot serialise "
              + valueClass
              + ": objects nest more than "
              + MessageKryo.MAX_DEPTH
              + " levels deep; a cyclic object graph cannot be sent (references are not"
              + " tracked)",
          failure);
    }
    return new IllegalArgumentException(
        "cannot serialise " + valueClass + ": " + describe(failure), failure);
  }

  private static CodecException decodeFailure(Throwable failure) {
    RefusedClassException refused = find(failure, RefusedClassException.class);
    if (refused != null) {
      return new CodecException(refused.decodeMessage(), failure);
    }
    if (tooDeep(failure)) {
      return new CodecException(
          "malformed message: objects nest more than " + MessageKryo.MAX_DEPTH + " levels deep",
          failure);
    }
    return new CodecException("malformed message: " + describe(failure), failure);
  }

  /** The first throwable of type {@code type} in the cause chain, or null. */
  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    int hops = 0;
    for (Throwable t = failure; t != null && hops < 32; t = t.getCause(), hops++) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  private static boolean tooDeep(Throwable failure) {
    if (find(failure, StackOverflowError.class) != null) {
      return true;
    }
    String message = failure instanceof KryoException ? failure.getMessage() : null;
    return message != null && message.startsWith("Max depth exceeded");
  }

  /**
   * One line for a failure: the innermost cause's class and message, then Kryo's serialization
   * trace (which names the fields and classes it was in), innermost first.
   */
  private static String describe(Throwable failure) {
    Throwable root = failure;
    for (int hops = 0; root.getCause() != null && root.getCause() != root && hops < 32; hops++) {
      root = root.getCause();
    }
    String what =
        root instanceof KryoException
            ? firstLine(root.getMessage())
            : root.getClass().getName()
                + (root.getMessage() == null ? "" : ": " + firstLine(root.getMessage()));
    String message = failure.getMessage();
    int trace = message == null ? -1 : message.indexOf("\nSerialization trace:\n");
    if (trace < 0) {
      return what;
    }
    String path = message.substring(trace + "\nSerialization trace:\n".length()).strip();
    return what + " (at " + path.replace("\n", " < ") + ")";
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }

  /** A Kryo instance with its reused buffers; used by one thread at a time. */
  private static final class Session {
    private final MessageKryo kryo;
    private final Output output = new Output(INITIAL_BUFFER, -1);
    private final BoundedInput input = new BoundedInput();

    private Session(MessageKryo kryo) {
      this.kryo = kryo;
    }
  }

  /** Holds the standard codec, so that it is created on first use. */
  private static final class Standard {
    static final KryoCodec INSTANCE = new KryoCodec();
  }
}
