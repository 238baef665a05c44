package dev.deploy.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.io.Output;
import dev.deploy.Pid;
import dev.deploy.codec.Codec;
import dev.deploy.codec.CodecException;
import dev.deploy.testing.LoopbackTables;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The codec's allow-list at the end of a real channel: bytes naming a class that may not travel,
 * sent as DATA by a fake peer (or by a table that was handed such bytes), make {@code recv} throw a
 * {@link CodecException} naming the class, without loading it, and the channel goes on.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ChannelCodecTest {
  /** Set by {@link Tripwire}'s static initializer; must stay false. */
  static final AtomicBoolean TRIPWIRE_INITIALISED = new AtomicBoolean();

  /** A program class refused because it is a Thread; never initialised here. */
  static final class Tripwire extends Thread {
    static {
      TRIPWIRE_INITIALISED.set(true);
    }
  }

  private final LoopbackTables tables = new LoopbackTables();
  private final List<RawPeer> raws = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    raws.forEach(RawPeer::close);
    tables.close();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "java.net.URL",
        "java.lang.ProcessBuilder",
        "javax.management.ObjectName",
        "[Ljava.lang.ProcessBuilder;",
        "com.esotericsoftware.kryo.Kryo"
      })
  void givenFakePeerSendsRefusedClass_whenReceive_thenErrorNamesClassAndLaterValuesArrive(
      String className) throws Exception {
    LoopbackTables.Table t = tables.add();
    Pid fake = RawPeer.fakePid();
    RawPeer raw = track(RawPeer.dialAccepted(t.pid(), tables.key(), fake));
    ReceiveEnd in = t.table().openReceiver(fake);

    raw.data(namedClass(className)).value("after");

    String refused = className.startsWith("[L") ? "java.lang.ProcessBuilder" : className;
    assertThatThrownBy(() -> ChannelDeliveryTest.recv(in))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("class " + refused + " is not allowed in a message");
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo("after");
  }

  @Test
  void givenFakePeerSendsThreadSubclass_whenReceive_thenRefusedBeforeClassIsInitialised()
      throws Exception {
    LoopbackTables.Table t = tables.add();
    Pid fake = RawPeer.fakePid();
    RawPeer raw = track(RawPeer.dialAccepted(t.pid(), tables.key(), fake));
    ReceiveEnd in = t.table().openReceiver(fake);

    raw.data(namedClass(Tripwire.class.getName())).value(2);

    assertThatThrownBy(() -> ChannelDeliveryTest.recv(in))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining(Tripwire.class.getName());
    assertThat(TRIPWIRE_INITIALISED).isFalse();
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo(2);
  }

  @Test
  void givenFakePeerSendsClassNotOnClasspath_whenReceive_thenErrorNamesItAndLaterValuesArrive()
      throws Exception {
    LoopbackTables.Table t = tables.add();
    Pid fake = RawPeer.fakePid();
    RawPeer raw = track(RawPeer.dialAccepted(t.pid(), tables.key(), fake));
    ReceiveEnd in = t.table().openReceiver(fake);

    raw.data(namedClass("com.example.NoSuchThing")).value("after");

    assertThatThrownBy(() -> ChannelDeliveryTest.recv(in))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("com.example.NoSuchThing");
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo("after");
  }

  @Test
  void givenRefusedBytesFromRealTable_whenReceiveAsync_thenFailsNamingClassAndNextSucceeds()
      throws Exception {
    LoopbackTables.Table a = tables.add();
    LoopbackTables.Table b = tables.add();
    SendEnd out = a.table().openSender(b.pid());
    ReceiveEnd in = b.table().openReceiver(a.pid());

    out.sendEncoded(namedClass("java.net.URL"));
    out.send(List.of("fine"));

    assertThatThrownBy(() -> in.recvAsync().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("java.net.URL");
    assertThat(in.recvAsync().get(10, TimeUnit.SECONDS)).isEqualTo(List.of("fine"));
  }

  @Test
  void givenMalformedValueBytes_whenReceive_thenCodecErrorAndLaterValuesArrive() throws Exception {
    LoopbackTables.Table t = tables.add();
    Pid fake = RawPeer.fakePid();
    RawPeer raw = track(RawPeer.dialAccepted(t.pid(), tables.key(), fake));
    ReceiveEnd in = t.table().openReceiver(fake);

    byte[] string = Codec.standard().encode("x");
    byte[] trailing = Arrays.copyOf(string, string.length + 3);
    raw.data(trailing).value(3);

    assertThatThrownBy(() -> ChannelDeliveryTest.recv(in))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("3 bytes left after a java.lang.String");
    assertThat(ChannelDeliveryTest.recv(in)).isEqualTo(3);
  }

  private RawPeer track(RawPeer raw) {
    raws.add(raw);
    return raw;
  }

  /**
   * Bytes as Kryo writes an object of a class it writes by name (as the codec tests craft them):
   * the "class by name" marker, a name id, the name, then some object data.
   */
  static byte[] namedClass(String className) {
    Output output = new Output(64, -1);
    output.writeVarInt(1, true);
    output.writeVarInt(0, true);
    output.writeString(className);
    output.writeBytes(new byte[] {0, 0, 0, 0});
    return output.toBytes();
  }
}
