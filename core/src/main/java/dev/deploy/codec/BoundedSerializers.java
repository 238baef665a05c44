package dev.deploy.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.serializers.CollectionSerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.ObjectArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.StringArraySerializer;
import com.esotericsoftware.kryo.serializers.MapSerializer;

/**
 * Kryo's general collection, map and array serializers with one change: the element count read from
 * a message is checked against the bytes left ({@link BoundedInput}) before anything is allocated,
 * so a corrupt count cannot ask for gigabytes. The wire format is Kryo's. {@link
 * MessageKryo#getDefaultSerializer} hands these out instead of Kryo's own; like those they are
 * confined to the thread holding their Kryo instance.
 */
final class BoundedSerializers {
  private BoundedSerializers() {}

  /**
   * {@link CollectionSerializer}, bounded by the message's element budget ({@link
   * BoundedInput#checkCollectionSize}), as Kryo writes a collection of nulls as its size alone.
   */
  static final class BoundedCollection<T extends java.util.Collection<Object>>
      extends CollectionSerializer<T> {
    @Override
    protected T create(Kryo kryo, Input input, Class<? extends T> type, int size) {
      BoundedInput.checkCollectionSize(input, size);
      return super.create(kryo, input, type, size);
    }
  }

  /** {@link MapSerializer}, bounded. */
  static final class BoundedMap<T extends java.util.Map<Object, Object>> extends MapSerializer<T> {
    @Override
    protected T create(Kryo kryo, Input input, Class<? extends T> type, int size) {
      BoundedInput.checkLength(input, size);
      return super.create(kryo, input, type, size);
    }
  }

  /** {@link ObjectArraySerializer}, bounded. */
  static final class BoundedObjectArray extends ObjectArraySerializer {
    BoundedObjectArray(Kryo kryo, Class<?> type) {
      super(kryo, type);
    }

    @Override
    @SuppressWarnings("rawtypes") // Kryo's signature.
    public Object[] read(Kryo kryo, Input input, Class type) {
      BoundedInput.checkLengthPrefix(input);
      return super.read(kryo, input, type);
    }
  }

  /** {@link StringArraySerializer}, bounded. */
  static final class BoundedStringArray extends StringArraySerializer {
    @Override
    @SuppressWarnings("rawtypes") // Kryo's signature.
    public String[] read(Kryo kryo, Input input, Class type) {
      BoundedInput.checkLengthPrefix(input);
      return super.read(kryo, input, type);
    }
  }
}
