package dev.deploy.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Writes a collection that Kryo cannot fill element by element (the JDK's immutable collections,
 * the {@code Collections.unmodifiable*} wrappers, {@code Arrays.asList}) as its comparator (for
 * sorted sets), its size and its elements, and reads it back by building the equivalent collection
 * from the elements at once (see {@link Kind}). Stateless, so one instance may serve several
 * registrations; confined to the thread holding its Kryo instance like every serializer.
 */
final class RebuildingCollectionSerializer extends Serializer<Collection<Object>> {
  /**
   * Which collection to build. An enum rather than lambdas: no lambda class is spun up while a
   * spawned JVM decodes its first message.
   */
  enum Kind {
    /**
     * {@code List.of}, {@code List.copyOf}, their {@code subList}s, {@code Stream.toList()}: built
     * with {@code List.of}, or with {@code Stream.toList()} when an element is null (only that one
     * allows nulls).
     */
    IMMUTABLE_LIST,
    /** {@code Set.of}, {@code Set.copyOf}. */
    IMMUTABLE_SET,
    /** {@code Arrays.asList}. */
    ARRAYS_AS_LIST,
    /** {@code Collections.unmodifiableCollection}, over an {@code ArrayList}. */
    UNMODIFIABLE_COLLECTION,
    /** {@code Collections.unmodifiableList}, over an {@code ArrayList}. */
    UNMODIFIABLE_LIST,
    /** {@code Collections.unmodifiableSet}, over a {@code LinkedHashSet} (order kept). */
    UNMODIFIABLE_SET,
    /** {@code Collections.unmodifiableSortedSet}, over a {@code TreeSet}. */
    UNMODIFIABLE_SORTED_SET,
    /** {@code Collections.unmodifiableNavigableSet}, over a {@code TreeSet}. */
    UNMODIFIABLE_NAVIGABLE_SET;

    boolean sorted() {
      return this == UNMODIFIABLE_SORTED_SET || this == UNMODIFIABLE_NAVIGABLE_SET;
    }
  }

  private final Kind kind;

  RebuildingCollectionSerializer(Kind kind) {
    this.kind = kind;
  }

  @Override
  public void write(Kryo kryo, Output output, Collection<Object> collection) {
    if (kind.sorted()) {
      kryo.writeClassAndObject(output, ((SortedSet<Object>) collection).comparator());
    }
    Object[] elements = collection.toArray(); // One snapshot: the size matches the elements.
    output.writeVarInt(elements.length, true);
    for (Object element : elements) {
      kryo.writeClassAndObject(output, element);
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public Collection<Object> read(Kryo kryo, Input input, Class<? extends Collection<Object>> type) {
    Comparator<Object> comparator =
        kind.sorted() ? (Comparator<Object>) kryo.readClassAndObject(input) : null;
    int size = input.readVarInt(true);
    BoundedInput.checkLength(input, size);
    Object[] elements = new Object[size];
    for (int i = 0; i < size; i++) {
      elements[i] = kryo.readClassAndObject(input);
    }
    return rebuild(elements, comparator);
  }

  private Collection<Object> rebuild(Object[] elements, Comparator<Object> comparator) {
    switch (kind) {
      case IMMUTABLE_LIST:
        return containsNull(elements) ? Arrays.stream(elements).toList() : List.of(elements);
      case IMMUTABLE_SET:
        return Set.copyOf(Arrays.asList(elements));
      case ARRAYS_AS_LIST:
        return Arrays.asList(elements);
      case UNMODIFIABLE_COLLECTION:
        return Collections.unmodifiableCollection(new ArrayList<>(Arrays.asList(elements)));
      case UNMODIFIABLE_LIST:
        return Collections.unmodifiableList(new ArrayList<>(Arrays.asList(elements)));
      case UNMODIFIABLE_SET:
        return Collections.unmodifiableSet(new LinkedHashSet<>(Arrays.asList(elements)));
      case UNMODIFIABLE_SORTED_SET:
        return Collections.unmodifiableSortedSet(treeSet(elements, comparator));
      case UNMODIFIABLE_NAVIGABLE_SET:
        return Collections.unmodifiableNavigableSet(treeSet(elements, comparator));
      default:
        throw new AssertionError(kind);
    }
  }

  private static boolean containsNull(Object[] elements) {
    for (Object element : elements) {
      if (element == null) {
        return true;
      }
    }
    return false;
  }

  private static TreeSet<Object> treeSet(Object[] elements, Comparator<Object> comparator) {
    TreeSet<Object> set = new TreeSet<>(comparator);
    Collections.addAll(set, elements);
    return set;
  }
}
