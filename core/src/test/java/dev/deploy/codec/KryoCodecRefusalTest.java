package dev.deploy.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.io.Output;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.net.Socket;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class KryoCodecRefusalTest {
  /** Set by {@link ThreadSubclass}'s static initializer; must stay false. */
  static final AtomicBoolean THREAD_SUBCLASS_INITIALISED = new AtomicBoolean();

  private final Codec codec = Codec.standard();

  record Holder(String name, Object payload) {}

  /** A program class outside the allow-list because it is a Thread. Never initialised here. */
  static final class ThreadSubclass extends Thread {
    static {
      THREAD_SUBCLASS_INITIALISED.set(true);
    }
  }

  /** A runtime class that is a live resource, like a channel end. */
  static final class FakeChannelEnd implements AutoCloseable {
    @Override
    public void close() {}
  }

  /** A graph node; {@code next} may point back. */
  static final class Node {
    Node next;
  }

  @Test
  void givenThread_whenEncode_thenRefusedNamingThread() {
    assertThatThrownBy(() -> codec.encode(new Thread()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "cannot serialise java.lang.Thread: a thread is a live resource of this process, not"
                + " a value");
  }

  @Test
  void givenSocket_whenEncode_thenRefusedNamingSocket() throws IOException {
    try (Socket socket = new Socket()) {
      assertThatThrownBy(() -> codec.encode(socket))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("cannot serialise java.net.Socket: a socket is a live resource");
    }
  }

  @Test
  void givenInputStream_whenEncode_thenRefusedNamingItsClass() {
    assertThatThrownBy(() -> codec.encode(new ByteArrayInputStream(new byte[1])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("cannot serialise java.io.ByteArrayInputStream: a stream");
  }

  @Test
  void givenNonSerialisableLambda_whenEncode_thenRefusedAsLambda() {
    Supplier<String> lambda = () -> "code";

    assertThatThrownBy(() -> codec.encode(lambda))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("KryoCodecRefusalTest$$Lambda")
        .hasMessageContaining("a lambda is code, not a value");
  }

  @Test
  void givenStream_whenEncode_thenAskedToCollectIt() {
    assertThatThrownBy(() -> codec.encode(Stream.of(1, 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("collect it into a List first");
  }

  @Test
  void givenMapView_whenEncode_thenAskedToCopyIt() {
    Map<String, Integer> map = new HashMap<>(Map.of("a", 1));

    assertThatThrownBy(() -> codec.encode(map.keySet()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("cannot serialise java.util.HashMap$KeySet")
        .hasMessageContaining("copy it into a List, Set or Map first");
  }

  @Test
  void givenThreadInsideRecord_whenEncode_thenRefusedNamingThreadAndRecord() {
    assertThatThrownBy(() -> codec.encode(new Holder("h", List.of(new Thread()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("cannot serialise java.lang.Thread: ")
        .hasMessageEndingWith("(inside a " + Holder.class.getName() + ")");
  }

  @Test
  void givenChannelLikeRuntimeResource_whenEncode_thenRefused() {
    assertThatThrownBy(() -> codec.encode(new FakeChannelEnd()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(FakeChannelEnd.class.getName())
        .hasMessageContaining("send its remote() pid instead");
  }

  @Test
  void givenCyclicGraph_whenEncode_thenClearErrorInsteadOfStackOverflow() {
    Node node = new Node();
    node.next = node;

    assertThatThrownBy(() -> codec.encode(node))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("cannot serialise " + Node.class.getName())
        .hasMessageContaining("cyclic object graph cannot be sent");
  }

  @Test
  void givenCyclicCollection_whenEncode_thenClearError() {
    List<Object> list = new ArrayList<>();
    list.add(list);

    assertThatThrownBy(() -> codec.encode(list))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cyclic object graph cannot be sent");
  }

  @Test
  void givenClassFromAnotherClassLoader_whenEncode_thenRefusedAsInvisible() throws Exception {
    try (URLClassLoader isolated = isolatedLoader()) {
      Class<?> foreign = isolated.loadClass(Node.class.getName());
      Constructor<?> constructor = foreign.getDeclaredConstructor();
      constructor.setAccessible(true);
      Object value = constructor.newInstance();

      assertThatThrownBy(() -> codec.encode(value))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("cannot serialise " + Node.class.getName())
          .hasMessageContaining("no other process could load it");
    }
  }

  @Test
  void givenRefusedValue_whenEncodedAgainLater_thenCodecStillWorks() {
    assertThatThrownBy(() -> codec.encode(new Thread()))
        .isInstanceOf(IllegalArgumentException.class);

    byte[] bytes = codec.encode(new Holder("after", 1));

    assertThat(codec.decode(bytes, 0, bytes.length)).isEqualTo(new Holder("after", 1));
  }

  @Test
  void givenBytesNamingProcessBuilder_whenDecode_thenRefusedNamingIt() {
    byte[] bytes = namedClass("java.lang.ProcessBuilder");

    assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("class java.lang.ProcessBuilder is not allowed in a message");
  }

  @Test
  void givenBytesNamingUrl_whenDecode_thenRefusedNamingIt() {
    byte[] bytes = namedClass(URL.class.getName());

    assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("class java.net.URL is not allowed in a message");
  }

  @Test
  void givenBytesNamingJavaxClass_whenDecode_thenRefusedNamingIt() {
    byte[] bytes = namedClass("javax.management.ObjectName");

    assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("class javax.management.ObjectName is not allowed in a message");
  }

  @Test
  void givenBytesNamingArrayOfRefusedClass_whenDecode_thenRefused() {
    byte[] bytes = namedClass("[Ljava.lang.ProcessBuilder;");

    assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("class java.lang.ProcessBuilder is not allowed in a message");
  }

  @Test
  void givenBytesNamingRuntimeLibraryClass_whenDecode_thenRefused() {
    byte[] bytes = namedClass("com.esotericsoftware.kryo.Kryo");

    assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("class com.esotericsoftware.kryo.Kryo is not allowed");
  }

  @Test
  void givenBytesNamingBundledLibraryClass_whenDecode_thenRefused() {
    // In the published jar Kryo is dev.deploy.shaded.com.esotericsoftware.kryo.Kryo: a name under
    // dev.deploy that is still a library class, not one of the runtime's values.
    String name = dev.deploy.shaded.FakeBundledClass.class.getName();
    byte[] bytes = namedClass(name);

    assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("class " + name + " is not allowed");
  }

  @Test
  void givenBundledLibraryObject_whenEncode_thenRefusedAsLibraryClass() {
    assertThatThrownBy(() -> codec.encode(new dev.deploy.shaded.FakeBundledClass()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "cannot serialise dev.deploy.shaded.FakeBundledClass: classes of the runtime's"
                + " libraries are not values");
  }

  @Test
  void givenBytesNamingProgramThreadSubclass_whenDecode_thenRefusedBeforeItIsInitialised() {
    byte[] bytes = namedClass(KryoCodecRefusalTest.class.getName() + "$ThreadSubclass");

    assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith(
            "class " + KryoCodecRefusalTest.class.getName() + "$ThreadSubclass is not allowed")
        .hasMessageContaining("a thread is a live resource");
    assertThat(THREAD_SUBCLASS_INITIALISED).isFalse();
  }

  @Test
  void givenBytesNamingMissingClass_whenDecode_thenNotOnClasspathNamingIt() {
    byte[] bytes = namedClass("com.example.NoSuchThing");

    assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("class com.example.NoSuchThing is not on this process's classpath");
  }

  @Test
  void givenBytesNamingInvalidClassName_whenDecode_thenRefused() {
    byte[] bytes = namedClass("not a/class");

    assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("not a valid class name");
  }

  /**
   * Bytes as Kryo writes an object of an unregistered class: the "class by name" marker, a name id,
   * the name, then some object data.
   */
  static byte[] namedClass(String className) {
    Output output = new Output(64, -1);
    output.writeVarInt(1, true); // DefaultClassResolver.NAME + 2
    output.writeVarInt(0, true); // first name in this message
    output.writeString(className);
    output.writeBytes(new byte[] {0, 0, 0, 0});
    return output.toBytes();
  }

  /** A loader that defines its own copies of this module's test classes. */
  static URLClassLoader isolatedLoader() {
    URL tests = KryoCodecRefusalTest.class.getProtectionDomain().getCodeSource().getLocation();
    URL main = Codec.class.getProtectionDomain().getCodeSource().getLocation();
    return new URLClassLoader(new URL[] {tests, main}, ClassLoader.getPlatformClassLoader());
  }
}
