package dev.deploy.codec;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.Set;

/**
 * Decides which classes may travel in a message. Allowed are the JDK value and collection types
 * named in {@link #JDK_VALUES} (and arrays of them), every class of {@code dev.deploy} that is not
 * a live resource, and the program's own classes: a class outside the JDK and the runtime's
 * libraries that the program's class loader can load. Everything else, in particular threads,
 * sockets, streams and lambdas, is refused with a reason that names it.
 *
 * <p>When reading, {@link #resolve} checks a class <em>name</em> before anything is loaded, loads
 * an allowed one without initialising it, then applies {@link #check} to the loaded class. When
 * writing, {@link #check} runs once per class per Kryo instance (from {@link
 * AllowListClassResolver#registerImplicit}). Immutable and thread-safe: shared by every Kryo
 * instance of a {@link KryoCodec}.
 */
final class ClassAllowList {
  /** Binary names of the JDK classes that may travel; arrays of them may too. */
  static final Set<String> JDK_VALUES =
      Set.of(
          "java.lang.Boolean",
          "java.lang.Byte",
          "java.lang.Short",
          "java.lang.Character",
          "java.lang.Integer",
          "java.lang.Long",
          "java.lang.Float",
          "java.lang.Double",
          "java.lang.String",
          "java.math.BigInteger",
          "java.math.BigDecimal",
          "java.math.RoundingMode",
          "java.util.ArrayList",
          "java.util.LinkedList",
          "java.util.ArrayDeque",
          "java.util.HashMap",
          "java.util.LinkedHashMap",
          "java.util.TreeMap",
          "java.util.HashSet",
          "java.util.LinkedHashSet",
          "java.util.TreeSet",
          "java.util.EnumSet",
          "java.util.RegularEnumSet",
          "java.util.JumboEnumSet",
          "java.util.BitSet",
          "java.util.Optional",
          "java.util.OptionalInt",
          "java.util.OptionalLong",
          "java.util.OptionalDouble",
          "java.util.UUID",
          "java.util.Arrays$ArrayList",
          "java.util.Collections$EmptyList",
          "java.util.Collections$EmptySet",
          "java.util.Collections$EmptyMap",
          "java.util.Collections$SingletonList",
          "java.util.Collections$SingletonSet",
          "java.util.Collections$SingletonMap",
          "java.util.Collections$UnmodifiableCollection",
          "java.util.Collections$UnmodifiableList",
          "java.util.Collections$UnmodifiableRandomAccessList",
          "java.util.Collections$UnmodifiableSet",
          "java.util.Collections$UnmodifiableSortedSet",
          "java.util.Collections$UnmodifiableNavigableSet",
          "java.util.Collections$UnmodifiableMap",
          "java.util.Collections$UnmodifiableSortedMap",
          "java.util.Collections$UnmodifiableNavigableMap",
          "java.util.Collections$ReverseComparator",
          "java.util.Comparators$NaturalOrderComparator",
          "java.util.ImmutableCollections$List12",
          "java.util.ImmutableCollections$ListN",
          "java.util.ImmutableCollections$SubList",
          "java.util.ImmutableCollections$Set12",
          "java.util.ImmutableCollections$SetN",
          "java.util.ImmutableCollections$Map1",
          "java.util.ImmutableCollections$MapN",
          "java.util.concurrent.ConcurrentHashMap",
          "java.util.concurrent.ConcurrentSkipListMap",
          "java.util.concurrent.CopyOnWriteArrayList",
          "java.util.concurrent.TimeUnit",
          "java.time.Duration",
          "java.time.Instant",
          "java.time.LocalDate",
          "java.time.LocalTime",
          "java.time.LocalDateTime",
          "java.time.ZonedDateTime",
          "java.time.OffsetDateTime",
          "java.time.OffsetTime",
          "java.time.ZoneOffset",
          "java.time.ZoneRegion",
          "java.time.Period",
          "java.time.Year",
          "java.time.YearMonth",
          "java.time.MonthDay",
          "java.time.DayOfWeek",
          "java.time.Month",
          "java.time.temporal.ChronoUnit",
          "java.net.URI",
          "java.net.InetSocketAddress");

  /**
   * Name prefixes that are never the program's own classes: the JDK and the runtime's libraries. A
   * name under one of them is refused unless {@link #JDK_VALUES} lists it.
   */
  private static final String[] RESERVED_PREFIXES = {
    "java.",
    "javax.",
    "jdk.",
    "sun.",
    "com.sun.",
    "org.w3c.",
    "org.xml.",
    "org.ietf.",
    "netscape.",
    "org.slf4j.",
    "com.esotericsoftware.",
    "org.objenesis.",
    ClassAllowList.BUNDLED
  };

  /**
   * Where the published jar relocates the libraries it bundles (the build rewrites the two names
   * above to this prefix too): library classes, although their names start with {@code
   * dev.deploy.}.
   */
  static final String BUNDLED = "dev.deploy.shaded.";

  /**
   * Types that are live resources of one process, keyed by the binary name of a supertype; the
   * value completes "cannot serialise X: ...".
   */
  private static final Map<String, String> RESOURCES =
      Map.ofEntries(
          Map.entry("java.lang.Thread", "a thread is a live resource of this process, not a value"),
          Map.entry(
              "java.lang.ThreadGroup",
              "a thread group is a live resource of this process, not a value"),
          Map.entry("java.lang.ClassLoader", "a class loader is a live resource, not a value"),
          Map.entry("java.lang.Process", "a process handle is a live resource, not a value"),
          Map.entry("java.lang.ProcessHandle", "a process handle is a live resource, not a value"),
          Map.entry("java.io.InputStream", "a stream is a live resource, not a value"),
          Map.entry("java.io.OutputStream", "a stream is a live resource, not a value"),
          Map.entry("java.io.Reader", "a reader is a live resource, not a value"),
          Map.entry("java.io.Writer", "a writer is a live resource, not a value"),
          Map.entry("java.nio.channels.Channel", "an I/O channel is a live resource, not a value"),
          Map.entry("java.net.Socket", "a socket is a live resource, not a value"),
          Map.entry("java.net.ServerSocket", "a socket is a live resource, not a value"),
          Map.entry("java.net.DatagramSocket", "a socket is a live resource, not a value"),
          Map.entry("java.lang.ref.Reference", "a reference is tied to this heap, not a value"),
          Map.entry("java.util.concurrent.Executor", "an executor is a live resource, not a value"),
          Map.entry(
              "java.util.concurrent.Future",
              "a future is a live computation; send its result instead"),
          Map.entry("java.util.concurrent.locks.Lock", "a lock is a live resource, not a value"),
          Map.entry(
              "java.util.stream.BaseStream",
              "a stream is a live pipeline, not a value; collect it into a List first"),
          Map.entry("java.util.Iterator", "an iterator is a live cursor; send a List instead"));

  private static final String NOT_A_VALUE =
      "only records, enums, strings, boxed primitives, arrays, java.util collections, Optional,"
          + " UUID, java.time values, BigInteger, BigDecimal, Pid and the program's own classes"
          + " can travel in a message";

  private static final String NOT_A_COLLECTION_VALUE =
      "this collection type cannot travel in a message; copy it into a List, Set or Map first";

  private static final String LAMBDA =
      "a lambda is code, not a value (only the task given to spawn may be a lambda); send a"
          + " record or an enum instead";

  private static final String CHANNEL_END =
      "a channel end is a live resource of this process; send its remote() pid instead";

  private static final int MAX_NAME_LENGTH = 1024;

  private static final int MAX_ARRAY_DIMENSIONS = 255;

  /** Loads the program's classes; the system class loader for {@link Codec#standard()}. */
  private final ClassLoader loader;

  /** Loads {@code dev.deploy} classes: the loader of this class. */
  private final ClassLoader runtimeLoader;

  ClassAllowList(ClassLoader loader) {
    this.loader = loader;
    this.runtimeLoader = ClassAllowList.class.getClassLoader();
  }

  /** The loader of the program's classes. */
  ClassLoader loader() {
    return loader;
  }

  /**
   * Returns the class a message names, checking the name before loading anything and loading an
   * allowed class without initialising it.
   *
   * @throws RefusedClassException when the class is not allowed or cannot be found
   */
  Class<?> resolve(String name) {
    if (name.length() > MAX_NAME_LENGTH) {
      throw RefusedClassException.refused(name, "a class name of " + name.length() + " characters");
    }
    ClassLoader source = checkName(name);
    Class<?> type;
    try {
      type = Class.forName(name, false, source);
    } catch (ClassNotFoundException | LinkageError e) {
      throw RefusedClassException.missing(name, "loading it failed with " + e);
    }
    check(type);
    return type;
  }

  /**
   * Checks a loaded class: on the write side for every class Kryo meets, on the read side again
   * after {@link #resolve}.
   *
   * @throws RefusedClassException when the class may not travel in a message
   */
  void check(Class<?> type) {
    Class<?> element = type;
    while (element.isArray()) {
      element = element.getComponentType();
    }
    if (element.isPrimitive()) {
      return;
    }
    String name = element.getName();
    if (element.isHidden() || name.contains("$$Lambda")) {
      throw RefusedClassException.refused(name, LAMBDA);
    }
    String resource = resourceReason(element);
    if (resource != null) {
      throw RefusedClassException.refused(name, resource);
    }
    ClassLoader definer = element.getClassLoader();
    if (definer == null || definer == ClassLoader.getPlatformClassLoader()) {
      if (JDK_VALUES.contains(name)) {
        return;
      }
      if (element != type && abstractElement(element)) {
        return; // Only the elements are instantiated, and each is checked on its own.
      }
      boolean collection =
          java.util.Collection.class.isAssignableFrom(element)
              || java.util.Map.class.isAssignableFrom(element);
      throw RefusedClassException.refused(name, collection ? NOT_A_COLLECTION_VALUE : NOT_A_VALUE);
    }
    boolean runtime = runtimeClass(name);
    if (runtime && AutoCloseable.class.isAssignableFrom(element)) {
      throw RefusedClassException.refused(name, CHANNEL_END);
    }
    if (!runtime && reserved(name)) {
      throw RefusedClassException.refused(
          name, "classes of the runtime's libraries are not values");
    }
    if (!visible(element, runtime ? runtimeLoader : loader)) {
      throw RefusedClassException.refused(
          name,
          "it was loaded by "
              + definer
              + ", not by the program's class loader, so no other process could load it");
    }
  }

  /**
   * Checks a name read from a message before anything is loaded; returns the loader to load it
   * with.
   */
  private ClassLoader checkName(String name) {
    if (name.startsWith("[")) {
      int dimensions = 0;
      while (dimensions < name.length() && name.charAt(dimensions) == '[') {
        dimensions++;
      }
      String element = name.substring(dimensions);
      if (dimensions > MAX_ARRAY_DIMENSIONS) {
        throw RefusedClassException.refused(name, "an array of " + dimensions + " dimensions");
      }
      if (element.length() == 1 && "ZBCSIJFD".contains(element)) {
        return loader;
      }
      if (element.length() > 2 && element.startsWith("L") && element.endsWith(";")) {
        String elementName = element.substring(1, element.length() - 1);
        if (!validBinaryName(elementName)) {
          throw RefusedClassException.refused(name, "not a valid array class name");
        }
        // An array's element type is never instantiated, so an abstract JDK type such as Object
        // or List is fine; check(Class) decides once it is loaded (without initialisation).
        return runtimeClass(elementName) ? runtimeLoader : loader;
      }
      throw RefusedClassException.refused(name, "not a valid array class name");
    }
    if (!validBinaryName(name)) {
      throw RefusedClassException.refused(name, "not a valid class name");
    }
    if (JDK_VALUES.contains(name)) {
      return loader;
    }
    if (runtimeClass(name)) {
      return runtimeLoader;
    }
    if (reserved(name)) {
      throw RefusedClassException.refused(name, NOT_A_VALUE);
    }
    return loader;
  }

  /** True for the runtime's own classes: under {@code dev.deploy}, but not a bundled library. */
  private static boolean runtimeClass(String name) {
    return name.startsWith("dev.deploy.") && !name.startsWith(BUNDLED);
  }

  private static boolean visible(Class<?> type, ClassLoader loader) {
    try {
      return Class.forName(type.getName(), false, loader) == type;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** True for the element types of arrays that hold values: Object and abstract JDK types. */
  private static boolean abstractElement(Class<?> element) {
    return element == Object.class
        || element.isInterface()
        || java.lang.reflect.Modifier.isAbstract(element.getModifiers());
  }

  private static boolean reserved(String name) {
    for (String prefix : RESERVED_PREFIXES) {
      if (name.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** Returns why a type is a live resource, looking at every supertype's name, or null. */
  private static String resourceReason(Class<?> type) {
    ArrayDeque<Class<?>> pending = new ArrayDeque<>();
    pending.add(type);
    while (!pending.isEmpty()) {
      Class<?> next = pending.poll();
      String reason = RESOURCES.get(next.getName());
      if (reason != null) {
        return reason;
      }
      if (next.getSuperclass() != null) {
        pending.add(next.getSuperclass());
      }
      for (Class<?> face : next.getInterfaces()) {
        pending.add(face);
      }
    }
    return null;
  }

  /** True for dot-separated Java identifiers (binary names may contain '$'). */
  private static boolean validBinaryName(String name) {
    boolean segmentStart = true;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '.') {
        if (segmentStart) {
          return false;
        }
        segmentStart = true;
      } else if (Character.isIdentifierIgnorable(c)) {
        return false;
      } else if (segmentStart
          ? Character.isJavaIdentifierStart(c)
          : Character.isJavaIdentifierPart(c)) {
        segmentStart = false;
      } else {
        return false;
      }
    }
    return !segmentStart;
  }
}
