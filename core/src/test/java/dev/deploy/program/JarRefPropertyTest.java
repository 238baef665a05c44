package dev.deploy.program;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;

/** {@link JarRef#isSha256} against a regular expression, for generated strings. */
class JarRefPropertyTest {
  @Property(tries = 200)
  void anyString_isSha256_exactlyWhenLowercaseHex64(@ForAll @StringLength(max = 70) String s) {
    assertThat(JarRef.isSha256(s)).isEqualTo(s.matches("[0-9a-f]{64}"));
  }

  @Property(tries = 200)
  void anyLowercaseHex64_isSha256(
      @ForAll @StringLength(64) @CharRange(from = '0', to = '9') @CharRange(from = 'a', to = 'f')
          String s) {
    assertThat(JarRef.isSha256(s)).isTrue();
  }
}
