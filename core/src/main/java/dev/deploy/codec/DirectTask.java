package dev.deploy.codec;

import dev.deploy.Pid;
import dev.deploy.Task;
import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.function.BiFunction;

/**
 * A spawned task rebuilt without building its lambda: it calls the lambda's implementation method
 * (a static method, the synthetic {@code lambda$...} method, or the instance method of a bound
 * method reference) by reflection, with the captured values first. A fresh JVM then never sets up
 * {@code LambdaMetafactory} for its task, which costs it tens of milliseconds; the compiled
 * lambda's own checks are kept by looking the method up by its exact descriptor.
 *
 * <p>Immutable; {@link #run} may be called from any thread.
 */
final class DirectTask implements Task<Object> {
  private static final long serialVersionUID = 1L;

  private final transient Executable target;

  /** The receiver of an instance method, or null. */
  private final transient Object receiver;

  /** The captured values that precede (parent, arg). */
  private final transient Object[] captured;

  private DirectTask(Executable target, Object receiver, Object[] captured) {
    this.target = target;
    this.receiver = receiver;
    this.captured = captured;
  }

  /**
   * Resolves {@code lambda}'s implementation method on the system class loader.
   *
   * @throws CodecException naming the class or method this process does not have
   */
  static DirectTask of(
      LambdaCodec.LambdaDescriptor lambda,
      Codec codec,
      BiFunction<LambdaCodec.LambdaDescriptor, Codec, Object> nested) {
    ClassLoader loader = ClassLoader.getSystemClassLoader();
    String className = lambda.implClass().replace('/', '.');
    Class<?> owner;
    try {
      owner = Class.forName(className, false, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new CodecException(
          "the task's class " + className + " is not on this process's classpath", e);
    }
    Class<?>[] parameters;
    try {
      parameters =
          MethodType.fromMethodDescriptorString(lambda.implMethodSignature(), loader)
              .parameterArray();
    } catch (RuntimeException e) { // TypeNotPresentException, IllegalArgumentException
      throw new CodecException(
          "the task "
              + className
              + "."
              + lambda.implMethodName()
              + " names a type this process"
              + " does not have: "
              + e.getMessage(),
          e);
    }
    int kind = lambda.implMethodKind();
    Executable target;
    try {
      if (kind == MethodHandleInfo.REF_newInvokeSpecial) {
        target = owner.getDeclaredConstructor(parameters);
      } else {
        target = findMethod(owner, lambda.implMethodName(), parameters);
      }
      target.setAccessible(true);
    } catch (NoSuchMethodException e) {
      throw new CodecException(
          "class "
              + className
              + " has no lambda "
              + lambda.implMethodName()
              + lambda.implMethodSignature()
              + " for "
              + lambda.functionalInterfaceClass()
              + "; does this process run a different build of the program?",
          e);
    } catch (RuntimeException e) { // InaccessibleObjectException from a named module
      throw new CodecException(
          "the task "
              + className
              + "."
              + lambda.implMethodName()
              + " cannot be called: "
              + e.getMessage(),
          e);
    }
    Object[] values = new Object[lambda.capturedArgs().length];
    for (int i = 0; i < values.length; i++) {
      Object c = lambda.capturedArgs()[i];
      values[i] =
          c instanceof LambdaCodec.LambdaDescriptor d
              ? nested.apply(d, codec)
              : codec.decode((byte[]) c, 0, ((byte[]) c).length);
    }
    boolean instance =
        kind == MethodHandleInfo.REF_invokeVirtual
            || kind == MethodHandleInfo.REF_invokeInterface
            || kind == MethodHandleInfo.REF_invokeSpecial;
    Object receiver = null;
    if (instance) {
      if (values.length == 0) {
        throw new CodecException(
            "malformed task: an instance method "
                + className
                + "."
                + lambda.implMethodName()
                + " without a receiver");
      }
      receiver = values[0];
      values = Arrays.copyOfRange(values, 1, values.length);
    }
    if (parameters.length != values.length + 2) {
      throw new CodecException(
          "malformed task: "
              + className
              + "."
              + lambda.implMethodName()
              + " takes "
              + parameters.length
              + " values, not "
              + values.length
              + " captured + 2");
    }
    return new DirectTask(target, receiver, values);
  }

  private static Method findMethod(Class<?> owner, String name, Class<?>[] parameters)
      throws NoSuchMethodException {
    for (Class<?> c = owner; c != null; c = c.getSuperclass()) {
      try {
        return c.getDeclaredMethod(name, parameters);
      } catch (NoSuchMethodException e) {
        // Inherited: look in the superclass, then the public interfaces.
      }
    }
    return owner.getMethod(name, parameters);
  }

  @Override
  public void run(Pid parent, Object arg) throws Exception {
    Object[] args = Arrays.copyOf(captured, captured.length + 2);
    args[captured.length] = parent;
    args[captured.length + 1] = arg;
    try {
      if (target instanceof Constructor<?> constructor) {
        constructor.newInstance(args);
      } else {
        ((Method) target).invoke(receiver, args);
      }
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      throw (Error) cause;
    }
  }

  @Override
  public String toString() {
    return "task " + target;
  }
}
