package dev.deploy.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.bridge.EventFormat;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class LiveViewTest {
  @Test
  void givenNoSetting_whenParsed_thenOffAndFormatsPassedThrough() {
    EventFormat format =
        new EventFormat() {
          @Override
          public void write(dev.deploy.bridge.Event event) {}

          @Override
          public void flush() {}
        };

    LiveView off = LiveView.parse(null);

    assertThat(off.on()).isFalse();
    assertThat(off.watch(0, "Main", format)).isSameAs(format);
    assertThat(LiveView.parse("  ").on()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"8080", "localhost", "127.0.0.1:", ":8080", "127.0.0.1:99999", "h:x"})
  void givenBadAddress_whenParsed_thenOneSentenceNamingIt(String setting) {
    assertThatThrownBy(() -> LiveView.parse(setting))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("<host>:<port>")
        .hasMessageContaining(setting);
  }

  @Test
  void givenIpv6Loopback_whenParsed_thenOn() {
    assertThat(LiveView.parse("[::1]:0").on()).isTrue();
  }

  @Test
  void givenLoopbackOrToken_whenBanner_thenSaysHowToReachIt() {
    assertThat(LiveView.banner(new InetSocketAddress("127.0.0.1", 8080), null))
        .contains("http://127.0.0.1:8080/", "ssh -L 8080:127.0.0.1:8080")
        .doesNotContain("token");
    assertThat(LiveView.banner(new InetSocketAddress("10.0.0.1", 8080), "abc"))
        .contains("http://10.0.0.1:8080/?token=abc", "Bearer", "ssh -L 8080:127.0.0.1:8080");
  }
}
