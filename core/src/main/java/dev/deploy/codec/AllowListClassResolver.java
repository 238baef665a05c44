package dev.deploy.codec;

import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.ObjectMap;

/**
 * Kryo's class resolver with the {@link ClassAllowList} in front: a class name read from a message
 * is checked before the class is loaded (and it is loaded without initialisation), and every class
 * Kryo registers implicitly, on either side, is checked before Kryo builds a serializer for it.
 * Classes registered with an id by {@link MessageKryo} are allowed by construction. One per Kryo
 * instance, so confined to the thread that holds that instance.
 */
final class AllowListClassResolver extends DefaultClassResolver {
  private final ClassAllowList allowList;

  AllowListClassResolver(ClassAllowList allowList) {
    this.allowList = allowList;
  }

  /**
   * Called by {@link DefaultClassResolver#readName} with a name read from the message, before it
   * would call {@code Class.forName}: answering here means Kryo never loads a class by itself.
   */
  @Override
  protected Class<?> getTypeByName(String className) {
    Class<?> cached = super.getTypeByName(className);
    if (cached != null) {
      return cached;
    }
    Class<?> type = allowList.resolve(className);
    if (nameToClass == null) {
      nameToClass = new ObjectMap<>();
    }
    nameToClass.put(className, type);
    return type;
  }

  /** Called the first time this Kryo instance writes or reads an unregistered class. */
  @Override
  @SuppressWarnings("rawtypes") // Kryo's signature.
  public Registration registerImplicit(Class type) {
    allowList.check(type);
    return super.registerImplicit(type);
  }
}
