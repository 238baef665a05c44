package dev.deploy.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Writes a map that Kryo cannot fill entry by entry (the JDK's immutable maps and the {@code
 * Collections.unmodifiable*Map} wrappers) as its comparator (for sorted maps), its size and its
 * entries, and reads it back by filling a {@code LinkedHashMap} or {@code TreeMap} and wrapping or
 * copying it (see {@link Kind}). Stateless; confined to the thread holding its Kryo instance like
 * every serializer.
 */
final class RebuildingMapSerializer extends Serializer<Map<Object, Object>> {
  /** Which map to build. An enum rather than lambdas, for start-up time. */
  enum Kind {
    /** {@code Map.of}, {@code Map.ofEntries}, {@code Map.copyOf}: built with {@code Map.copyOf}. */
    IMMUTABLE_MAP,
    /** {@code Collections.unmodifiableMap}, over a {@code LinkedHashMap} (order kept). */
    UNMODIFIABLE_MAP,
    /** {@code Collections.unmodifiableSortedMap}, over a {@code TreeMap}. */
    UNMODIFIABLE_SORTED_MAP,
    /** {@code Collections.unmodifiableNavigableMap}, over a {@code TreeMap}. */
    UNMODIFIABLE_NAVIGABLE_MAP;

    boolean sorted() {
      return this == UNMODIFIABLE_SORTED_MAP || this == UNMODIFIABLE_NAVIGABLE_MAP;
    }
  }

  private final Kind kind;

  RebuildingMapSerializer(Kind kind) {
    this.kind = kind;
  }

  @Override
  public void write(Kryo kryo, Output output, Map<Object, Object> map) {
    if (kind.sorted()) {
      kryo.writeClassAndObject(output, ((SortedMap<Object, Object>) map).comparator());
    }
    // One snapshot, so that the size matches the entries written.
    Object[] entries = map.entrySet().toArray();
    output.writeVarInt(entries.length, true);
    for (Object each : entries) {
      Map.Entry<?, ?> entry = (Map.Entry<?, ?>) each;
      kryo.writeClassAndObject(output, entry.getKey());
      kryo.writeClassAndObject(output, entry.getValue());
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public Map<Object, Object> read(
      Kryo kryo, Input input, Class<? extends Map<Object, Object>> type) {
    Map<Object, Object> entries;
    if (kind.sorted()) {
      entries = new TreeMap<>((Comparator<Object>) kryo.readClassAndObject(input));
    } else {
      entries = new LinkedHashMap<>();
    }
    int size = input.readVarInt(true);
    BoundedInput.checkLength(input, size);
    for (int i = 0; i < size; i++) {
      Object key = kryo.readClassAndObject(input);
      entries.put(key, kryo.readClassAndObject(input));
    }
    switch (kind) {
      case IMMUTABLE_MAP:
        return Map.copyOf(entries);
      case UNMODIFIABLE_MAP:
        return Collections.unmodifiableMap(entries);
      case UNMODIFIABLE_SORTED_MAP:
        return Collections.unmodifiableSortedMap((TreeMap<Object, Object>) entries);
      case UNMODIFIABLE_NAVIGABLE_MAP:
        return Collections.unmodifiableNavigableMap((TreeMap<Object, Object>) entries);
      default:
        throw new AssertionError(kind);
    }
  }
}
