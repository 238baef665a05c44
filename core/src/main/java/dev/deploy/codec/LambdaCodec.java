package dev.deploy.codec;

import java.lang.invoke.SerializedLambda;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Objects;

/**
 * Ships a spawned task ({@code dev.deploy.Task}) and its argument to the process that runs it.
 *
 * <p>A lambda or method reference travels as its description, never through Java serialization: its
 * private {@code writeReplace} (which the compiler generates because {@code Task} is {@code
 * Serializable}) yields a {@link SerializedLambda}; we send its class and method names, and each
 * captured value encoded by the {@link Codec}. The receiver builds an equal {@code
 * SerializedLambda} and hands it to the capturing class's private static {@code
 * $deserializeLambda$}, the method the compiler wrote to rebuild exactly the lambdas that class
 * declares. A captured value that is itself a serialisable lambda travels the same way. A task that
 * is an object of the program's own class travels as that object, encoded by the codec.
 *
 * <p>The capturing class must be on the system class path, since that is all a spawned process has.
 * Called by the runtime: {@link #encodeTask} on the thread that calls {@code spawn}, {@link
 * #decodeTask} on the main thread of the spawned process. Stateless and thread-safe.
 */
public final class LambdaCodec {
  /** How deeply lambdas captured by lambdas may nest. */
  private static final int MAX_NESTING = 16;

  private LambdaCodec() {}

  /**
   * A task and its argument as rebuilt by {@link #decodeTask}.
   *
   * @param task the task: a {@code dev.deploy.Task} for bytes made by {@code spawn}
   * @param arg the task's argument, which may be null
   */
  public record DecodedTask(Object task, Object arg) {}

  /**
   * Returns the bytes that carry {@code task} and {@code arg} to another process.
   *
   * @param task a serialisable lambda or method reference, or an object of the program's own class
   * @param arg the task's argument; may be null
   * @param codec encodes the argument, every captured value and the description itself
   * @throws IllegalArgumentException with a one-line message when the task is a lambda that is not
   *     serialisable, when its class is not on the classpath of spawned processes, or when the
   *     argument, a captured value or the task object cannot be serialised (naming its class)
   */
  public static byte[] encodeTask(Object task, Object arg, Codec codec) {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(codec, "codec");
    Envelope envelope;
    if (isLambda(task.getClass())) {
      LambdaDescriptor lambda = describe(task, codec, 0);
      envelope = new Envelope(lambda, null, encodeArgument(arg, codec));
    } else {
      checkOnClassPath(task.getClass());
      byte[] plain;
      try {
        plain = codec.encode(task);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "the task " + task.getClass().getName() + " cannot be serialised: " + e.getMessage(),
            e);
      }
      envelope = new Envelope(null, plain, encodeArgument(arg, codec));
    }
    return writeEnvelope(envelope);
  }

  /**
   * Rebuilds a task and its argument from bytes made by {@link #encodeTask}, loading the program's
   * classes through the system class loader.
   *
   * @throws CodecException with a one-line message when the bytes are malformed, or a class or
   *     lambda they name cannot be found in this process (naming it)
   */
  public static DecodedTask decodeTask(byte[] bytes, Codec codec) {
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(codec, "codec");
    Envelope envelope = readEnvelope(bytes);
    Object task =
        envelope.lambda() != null
            ? DirectTask.of(envelope.lambda(), codec, NESTED)
            : codec.decode(envelope.plainTask(), 0, envelope.plainTask().length);
    Object arg = codec.decode(envelope.arg(), 0, envelope.arg().length);
    return new DecodedTask(task, arg);
  }

  /**
   * Returns whether rebuilding the task in {@code bytes} (made by {@link #encodeTask}) needs the
   * codec's serialiser (Kryo): false when the task is a lambda or method reference whose argument
   * and captured values are all a {@code Long}, {@code Integer} or {@code Double}, which decode
   * without it. True for anything else, malformed bytes included. A fabric tells a JVM it starts
   * for such a task, which then does not load the serialiser before its task needs it.
   */
  public static boolean needsCodec(byte[] bytes) {
    Envelope envelope;
    try {
      envelope = readEnvelope(bytes);
    } catch (CodecException e) {
      return true;
    }
    return envelope.lambda() == null || !scalar(envelope.arg()) || needsCodec(envelope.lambda());
  }

  private static boolean needsCodec(LambdaDescriptor lambda) {
    for (Object captured : lambda.capturedArgs()) {
      if (captured instanceof LambdaDescriptor nested
          ? needsCodec(nested)
          : !scalar((byte[]) captured)) {
        return true;
      }
    }
    return false;
  }

  private static boolean scalar(byte[] encoded) {
    return ScalarCodec.decode(encoded, 0, encoded.length) != null;
  }

  /** Rebuilds captured lambdas; a class, not a method reference, for a fresh JVM's sake. */
  private static final java.util.function.BiFunction<LambdaDescriptor, Codec, Object> NESTED =
      new java.util.function.BiFunction<>() {
        @Override
        public Object apply(LambdaDescriptor lambda, Codec codec) {
          return rebuildNested(lambda, codec);
        }
      };

  /** Rebuilds a lambda captured by the task's lambda, through its capturing class. */
  private static Object rebuildNested(LambdaDescriptor lambda, Codec codec) {
    return rebuild(lambda, codec, 1);
  }

  // The envelope is written with our own small format, not the codec: decoding it is then a
  // few string reads on a fresh JVM's way to its task, with no serializer to set up.
  private static final int ENVELOPE_VERSION = 1;

  private static byte[] writeEnvelope(Envelope envelope) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(256);
    java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
    try {
      out.writeByte(ENVELOPE_VERSION);
      if (envelope.lambda() != null) {
        out.writeByte(1);
        writeLambda(out, envelope.lambda());
      } else {
        out.writeByte(2);
        writeBytes(out, envelope.plainTask());
      }
      writeBytes(out, envelope.arg());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // not thrown by a byte array
    }
    return bytes.toByteArray();
  }

  private static void writeLambda(java.io.DataOutputStream out, LambdaDescriptor l)
      throws java.io.IOException {
    out.writeUTF(l.capturingClass());
    out.writeUTF(l.functionalInterfaceClass());
    out.writeUTF(l.functionalInterfaceMethodName());
    out.writeUTF(l.functionalInterfaceMethodSignature());
    out.writeByte(l.implMethodKind());
    out.writeUTF(l.implClass());
    out.writeUTF(l.implMethodName());
    out.writeUTF(l.implMethodSignature());
    out.writeUTF(l.instantiatedMethodType());
    out.writeInt(l.capturedArgs().length);
    for (Object captured : l.capturedArgs()) {
      if (captured instanceof LambdaDescriptor nested) {
        out.writeByte(1);
        writeLambda(out, nested);
      } else {
        out.writeByte(0);
        writeBytes(out, (byte[]) captured);
      }
    }
  }

  private static void writeBytes(java.io.DataOutputStream out, byte[] b)
      throws java.io.IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  private static Envelope readEnvelope(byte[] bytes) {
    java.io.DataInputStream in =
        new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes));
    try {
      int version = in.readUnsignedByte();
      if (version != ENVELOPE_VERSION) {
        throw new CodecException(
            "malformed task: envelope version " + version + ", not " + ENVELOPE_VERSION);
      }
      int kind = in.readUnsignedByte();
      LambdaDescriptor lambda = null;
      byte[] plain = null;
      if (kind == 1) {
        lambda = readLambda(in, bytes.length, 0);
      } else if (kind == 2) {
        plain = readBytes(in, bytes.length);
      } else {
        throw new CodecException("malformed task: unknown kind " + kind);
      }
      byte[] arg = readBytes(in, bytes.length);
      if (in.available() > 0) {
        throw new CodecException("malformed task: " + in.available() + " bytes after its end");
      }
      return new Envelope(lambda, plain, arg);
    } catch (java.io.IOException e) {
      throw new CodecException("malformed task: " + e, e);
    }
  }

  private static LambdaDescriptor readLambda(java.io.DataInputStream in, int limit, int nesting)
      throws java.io.IOException {
    if (nesting > MAX_NESTING) {
      throw new CodecException("malformed task: lambdas nest more than " + MAX_NESTING + " deep");
    }
    String capturing = in.readUTF();
    String iface = in.readUTF();
    String ifaceMethod = in.readUTF();
    String ifaceSignature = in.readUTF();
    int kind = in.readUnsignedByte();
    String implClass = in.readUTF();
    String implMethod = in.readUTF();
    String implSignature = in.readUTF();
    String instantiated = in.readUTF();
    int count = in.readInt();
    if (count < 0 || count > 255) {
      throw new CodecException("malformed task: " + count + " captured values");
    }
    Object[] captured = new Object[count];
    for (int i = 0; i < count; i++) {
      int tag = in.readUnsignedByte();
      captured[i] = tag == 1 ? readLambda(in, limit, nesting + 1) : readBytes(in, limit);
    }
    return new LambdaDescriptor(
        capturing,
        iface,
        ifaceMethod,
        ifaceSignature,
        kind,
        implClass,
        implMethod,
        implSignature,
        instantiated,
        captured);
  }

  private static byte[] readBytes(java.io.DataInputStream in, int limit)
      throws java.io.IOException {
    int n = in.readInt();
    if (n < 0 || n > limit) {
      throw new CodecException("malformed task: a field of " + n + " bytes");
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }

  private static boolean isLambda(Class<?> type) {
    return type.isHidden() || type.isSynthetic() && type.getName().contains("$$Lambda");
  }

  private static boolean isSerializableLambda(Class<?> type) {
    if (!isLambda(type)) {
      return false;
    }
    try {
      type.getDeclaredMethod("writeReplace");
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  private static byte[] encodeArgument(Object arg, Codec codec) {
    try {
      return codec.encode(arg);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the task's argument cannot be serialised: " + e.getMessage(), e);
    }
  }

  /** Describes a lambda, encoding its captured values; {@code nesting} counts enclosing lambdas. */
  private static LambdaDescriptor describe(Object lambda, Codec codec, int nesting) {
    SerializedLambda serialized = serializedLambda(lambda);
    String capturingName = serialized.getCapturingClass().replace('/', '.');
    Class<?> capturing;
    try {
      capturing = Class.forName(capturingName, false, lambda.getClass().getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalArgumentException(
          "the task's class " + capturingName + " cannot be found from its lambda: " + e, e);
    }
    checkOnClassPath(capturing);
    Object[] captured = new Object[serialized.getCapturedArgCount()];
    for (int i = 0; i < captured.length; i++) {
      Object value = serialized.getCapturedArg(i);
      if (value != null && isSerializableLambda(value.getClass()) && nesting < MAX_NESTING) {
        captured[i] = describe(value, codec, nesting + 1);
        continue;
      }
      try {
        captured[i] = codec.encode(value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "a value captured by the task's lambda ("
                + capturingName
                + "."
                + serialized.getImplMethodName()
                + ") cannot be serialised: "
                + e.getMessage(),
            e);
      }
    }
    return new LambdaDescriptor(
        serialized.getCapturingClass(),
        serialized.getFunctionalInterfaceClass(),
        serialized.getFunctionalInterfaceMethodName(),
        serialized.getFunctionalInterfaceMethodSignature(),
        serialized.getImplMethodKind(),
        serialized.getImplClass(),
        serialized.getImplMethodName(),
        serialized.getImplMethodSignature(),
        serialized.getInstantiatedMethodType(),
        captured);
  }

  /** Calls the lambda's compiler-generated private {@code writeReplace}. */
  private static SerializedLambda serializedLambda(Object lambda) {
    Class<?> type = lambda.getClass();
    Method writeReplace;
    try {
      writeReplace = type.getDeclaredMethod("writeReplace");
      writeReplace.setAccessible(true);
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(
          "the task is not a serialisable lambda: "
              + type.getName()
              + " implements "
              + interfaceNames(type)
              + ", which does not extend java.io.Serializable; pass a dev.deploy.Task",
          e);
    } catch (RuntimeException e) { // InaccessibleObjectException from a named module.
      throw new IllegalArgumentException(
          "the task's lambda " + type.getName() + " cannot be described: " + e.getMessage(), e);
    }
    Object replacement;
    try {
      replacement = writeReplace.invoke(lambda);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalArgumentException(
          "the task's lambda " + type.getName() + " cannot be described: " + e, e);
    }
    if (!(replacement instanceof SerializedLambda serialized)) {
      throw new IllegalArgumentException(
          "the task is not a serialisable lambda: "
              + type.getName()
              + ".writeReplace() returned "
              + (replacement == null ? "null" : replacement.getClass().getName()));
    }
    return serialized;
  }

  /**
   * Throws unless a spawned process, which has only the system class path, can load {@code type}.
   */
  private static void checkOnClassPath(Class<?> type) {
    ClassLoader system = ClassLoader.getSystemClassLoader();
    boolean visible;
    try {
      visible = Class.forName(type.getName(), false, system) == type;
    } catch (ClassNotFoundException | LinkageError e) {
      visible = false;
    }
    if (!visible) {
      throw new IllegalArgumentException(
          "the task's class "
              + type.getName()
              + " is not on the classpath of spawned processes (it was loaded by "
              + type.getClassLoader()
              + ", not the system class loader)");
    }
  }

  private static String interfaceNames(Class<?> type) {
    Class<?>[] interfaces = type.getInterfaces();
    if (interfaces.length == 0) {
      return "no interface";
    }
    StringBuilder names = new StringBuilder();
    for (Class<?> each : interfaces) {
      names.append(names.length() == 0 ? "" : " & ").append(each.getName());
    }
    return names.toString();
  }

  /** Rebuilds a lambda through its capturing class's {@code $deserializeLambda$}. */
  private static Object rebuild(LambdaDescriptor lambda, Codec codec, int nesting) {
    if (nesting > MAX_NESTING) {
      throw new CodecException("malformed task: lambdas nest more than " + MAX_NESTING + " deep");
    }
    String capturingName = String.valueOf(lambda.capturingClass()).replace('/', '.');
    Class<?> capturing;
    try {
      capturing = Class.forName(capturingName, false, ClassLoader.getSystemClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new CodecException(
          "the task's class " + capturingName + " is not on this process's classpath", e);
    }
    Object[] captured =
        new Object[lambda.capturedArgs() == null ? 0 : lambda.capturedArgs().length];
    for (int i = 0; i < captured.length; i++) {
      Object value = lambda.capturedArgs()[i];
      if (value instanceof byte[] bytes) {
        captured[i] = codec.decode(bytes, 0, bytes.length);
      } else if (value instanceof LambdaDescriptor nested) {
        captured[i] = rebuild(nested, codec, nesting + 1);
      } else {
        throw new CodecException(
            "malformed task: captured value "
                + i
                + " of "
                + capturingName
                + " is a "
                + (value == null ? "null" : value.getClass().getName()));
      }
    }
    String lambdaName =
        capturingName + "." + lambda.implMethodName() + lambda.implMethodSignature();
    SerializedLambda serialized;
    try {
      serialized =
          new SerializedLambda(
              capturing,
              lambda.functionalInterfaceClass(),
              lambda.functionalInterfaceMethodName(),
              lambda.functionalInterfaceMethodSignature(),
              lambda.implMethodKind(),
              lambda.implClass(),
              lambda.implMethodName(),
              lambda.implMethodSignature(),
              lambda.instantiatedMethodType(),
              captured);
    } catch (RuntimeException e) {
      throw new CodecException("malformed task: the lambda " + lambdaName + ": " + e, e);
    }
    Method deserialize;
    try {
      deserialize = capturing.getDeclaredMethod("$deserializeLambda$", SerializedLambda.class);
      deserialize.setAccessible(true);
    } catch (NoSuchMethodException e) {
      throw new CodecException(
          "class "
              + capturingName
              + " has no serialisable lambda (no $deserializeLambda$ method); does this process"
              + " run a different build of the program?",
          e);
    } catch (RuntimeException e) {
      throw new CodecException(
          "the lambdas of class " + capturingName + " cannot be rebuilt: " + e.getMessage(), e);
    }
    try {
      return deserialize.invoke(null, serialized);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IllegalArgumentException) { // "Invalid lambda deserialization"
        throw new CodecException(
            "class "
                + capturingName
                + " has no lambda "
                + lambda.implMethodName()
                + lambda.implMethodSignature()
                + " for "
                + lambda.functionalInterfaceClass()
                + "; does this process run a different build of the program?",
            cause);
      }
      throw new CodecException("rebuilding the lambda " + lambdaName + " failed: " + cause, cause);
    } catch (IllegalAccessException | LinkageError e) {
      throw new CodecException("rebuilding the lambda " + lambdaName + " failed: " + e, e);
    }
  }

  /**
   * What travels: the task as a lambda description or as the codec's bytes of a task object
   * (exactly one is set), and the codec's bytes of the argument.
   */
  private record Envelope(LambdaDescriptor lambda, byte[] plainTask, byte[] arg) {}

  /**
   * The fields of a {@link SerializedLambda}, names in internal form as it gives them; each
   * captured value is the codec's bytes of it or, for a captured lambda, its own descriptor.
   */
  record LambdaDescriptor(
      String capturingClass,
      String functionalInterfaceClass,
      String functionalInterfaceMethodName,
      String functionalInterfaceMethodSignature,
      int implMethodKind,
      String implClass,
      String implMethodName,
      String implMethodSignature,
      String instantiatedMethodType,
      Object[] capturedArgs) {}
}
