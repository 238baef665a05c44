package dev.deploy.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.serializers.CollectionSerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.ObjectArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.StringArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.URISerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.UUIDSerializer;
import com.esotericsoftware.kryo.serializers.ExternalizableSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import com.esotericsoftware.kryo.serializers.MapSerializer;
import dev.deploy.Pid;
import dev.deploy.codec.RebuildingCollectionSerializer.Kind;
import java.lang.reflect.Constructor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.objenesis.instantiator.ObjectInstantiator;
import org.objenesis.strategy.InstantiatorStrategy;
import org.objenesis.strategy.StdInstantiatorStrategy;

/**
 * The Kryo configuration for messages: the {@link AllowListClassResolver}, no registration required
 * (the program's classes are written by name), no reference tracking, a depth limit, and an id for
 * each class that needs a serializer of ours. Not thread-safe, like every Kryo: {@link KryoCodec}
 * pools instances and each is used by one thread at a time.
 *
 * <p>The ids from {@link #FIRST_ID} on are part of the wire format between processes of the same
 * deploy version: a class keeps its slot, and a slot whose class turns out to be the same as an
 * earlier slot's on this JDK is left unused. Kryo's own ids (primitives and {@code String}) end
 * below {@link #FIRST_ID}.
 */
final class MessageKryo extends Kryo {
  /**
   * How deeply objects may nest. Without reference tracking a cyclic graph would recurse until the
   * stack overflows, and a {@link StackOverflowError} is not safely recoverable: one thrown while a
   * class initialises leaves that class unusable for the life of the JVM (seen with {@code
   * StringBuffer} in Kryo's error path). This limit turns a cycle into a clear error first.
   * Measured with linked objects, records and nested lists: a 1 MiB thread stack overflowed past
   * about 1,400 levels and a 512 KiB one past about 640, so 500 leaves room for the caller's own
   * frames.
   */
  static final int MAX_DEPTH = 500;

  /** The first registration id of ours. */
  static final int FIRST_ID = 16;

  MessageKryo(ClassAllowList allowList) {
    super(new AllowListClassResolver(allowList), null);
    setRegistrationRequired(false);
    setWarnUnregisteredClasses(false);
    setClassLoader(allowList.loader());
    setMaxDepth(MAX_DEPTH);
    setInstantiatorStrategy(new ConstructorOrObjenesis());
    registerOurs();
  }

  private void registerOurs() {
    int id = FIRST_ID;
    register(Pid.class, new PidSerializer(), id++);
    RebuildingCollectionSerializer list = new RebuildingCollectionSerializer(Kind.IMMUTABLE_LIST);
    id = slot(List.of(1).getClass(), list, id);
    id = slot(List.of(1, 2, 3).getClass(), list, id);
    id = slot(List.of(1, 2, 3).subList(0, 1).getClass(), list, id);
    RebuildingCollectionSerializer set = new RebuildingCollectionSerializer(Kind.IMMUTABLE_SET);
    id = slot(Set.of(1).getClass(), set, id);
    id = slot(Set.of(1, 2, 3).getClass(), set, id);
    RebuildingMapSerializer map =
        new RebuildingMapSerializer(RebuildingMapSerializer.Kind.IMMUTABLE_MAP);
    id = slot(Map.of(1, 2).getClass(), map, id);
    id = slot(Map.of(1, 2, 3, 4).getClass(), map, id);
    id =
        slot(
            Arrays.asList().getClass(),
            new RebuildingCollectionSerializer(Kind.ARRAYS_AS_LIST),
            id);
    id =
        slot(
            Collections.unmodifiableCollection(new ArrayList<>()).getClass(),
            new RebuildingCollectionSerializer(Kind.UNMODIFIABLE_COLLECTION),
            id);
    RebuildingCollectionSerializer unmodifiableList =
        new RebuildingCollectionSerializer(Kind.UNMODIFIABLE_LIST);
    id = slot(Collections.unmodifiableList(new LinkedList<>()).getClass(), unmodifiableList, id);
    id = slot(Collections.unmodifiableList(new ArrayList<>()).getClass(), unmodifiableList, id);
    id =
        slot(
            Collections.unmodifiableSet(new HashSet<>()).getClass(),
            new RebuildingCollectionSerializer(Kind.UNMODIFIABLE_SET),
            id);
    id =
        slot(
            Collections.unmodifiableSortedSet(new TreeSet<>()).getClass(),
            new RebuildingCollectionSerializer(Kind.UNMODIFIABLE_SORTED_SET),
            id);
    id =
        slot(
            Collections.unmodifiableNavigableSet(new TreeSet<>()).getClass(),
            new RebuildingCollectionSerializer(Kind.UNMODIFIABLE_NAVIGABLE_SET),
            id);
    id =
        slot(
            Collections.unmodifiableMap(new HashMap<>()).getClass(),
            new RebuildingMapSerializer(RebuildingMapSerializer.Kind.UNMODIFIABLE_MAP),
            id);
    id =
        slot(
            Collections.unmodifiableSortedMap(new TreeMap<>()).getClass(),
            new RebuildingMapSerializer(RebuildingMapSerializer.Kind.UNMODIFIABLE_SORTED_MAP),
            id);
    id =
        slot(
            Collections.unmodifiableNavigableMap(new TreeMap<>()).getClass(),
            new RebuildingMapSerializer(RebuildingMapSerializer.Kind.UNMODIFIABLE_NAVIGABLE_MAP),
            id);
    id = slot(UUID.class, new UUIDSerializer(), id);
    id = slot(URI.class, new URISerializer(), id);
    slot(InetSocketAddress.class, new SocketAddressSerializer(), id);
  }

  /** Registers {@code type} with the slot {@code id} unless an earlier slot has it; next slot. */
  private int slot(Class<?> type, Serializer<?> serializer, int id) {
    if (getClassResolver().getRegistration(type) == null) {
      register(type, serializer, id);
    }
    return id + 1;
  }

  /**
   * Kryo's choice, except that the general collection, map and array serializers are swapped for
   * {@link BoundedSerializers}, and a class that asks for Java serialization is refused.
   */
  @Override
  @SuppressWarnings({"rawtypes", "unchecked"})
  public Serializer getDefaultSerializer(Class type) {
    Serializer serializer = super.getDefaultSerializer(type);
    Class<?> kind = serializer.getClass();
    if (kind == CollectionSerializer.class) {
      return new BoundedSerializers.BoundedCollection();
    }
    if (kind == MapSerializer.class) {
      return new BoundedSerializers.BoundedMap();
    }
    if (kind == ObjectArraySerializer.class) {
      return new BoundedSerializers.BoundedObjectArray(this, type);
    }
    if (kind == StringArraySerializer.class) {
      return new BoundedSerializers.BoundedStringArray();
    }
    if (serializer instanceof JavaSerializer || serializer instanceof ExternalizableSerializer) {
      throw RefusedClassException.refused(
          type.getName(), "it asks for Java serialization, which deploy never uses");
    }
    return serializer;
  }

  /**
   * Creates instances through a no-arg constructor when the class has one (any visibility), else
   * through Objenesis without running a constructor. Unlike Kryo's default strategy it never
   * generates accessor classes with ReflectASM, which costs start-up time in every spawned JVM.
   */
  private static final class ConstructorOrObjenesis implements InstantiatorStrategy {
    private final StdInstantiatorStrategy fallback = new StdInstantiatorStrategy();

    @Override
    public <T> ObjectInstantiator<T> newInstantiatorOf(Class<T> type) {
      Constructor<T> constructor;
      try {
        constructor = type.getDeclaredConstructor();
        constructor.setAccessible(true);
      } catch (NoSuchMethodException | RuntimeException e) {
        return fallback.newInstantiatorOf(type);
      }
      return new ObjectInstantiator<T>() {
        @Override
        public T newInstance() {
          try {
            return constructor.newInstance();
          } catch (ReflectiveOperationException e) {
            throw new KryoException("constructing " + type.getName() + " failed: " + e, e);
          }
        }
      };
    }
  }
}
