package dev.deploy.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(5)
class ProcStatTest {
  @Test
  void givenCommandNameWithSpacesAndParentheses_whenParse_thenFieldsAfterTheLastParenthesis() {
    String line =
        "4242 (we (ird) name) S 1 4240 4239 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000"
            + " 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

    ProcStat stat = ProcStat.parse(line);

    assertThat(stat).isEqualTo(new ProcStat(4242, 4240, 4239, 987654));
  }

  @Test
  void givenTruncatedLine_whenParse_thenSaysHowManyFields() {
    assertThatThrownBy(() -> ProcStat.parse("1 (init) S 0 1 1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fields");
  }

  @Test
  void givenNoParentheses_whenParse_thenNotAStatLine() {
    assertThatThrownBy(() -> ProcStat.parse("garbage"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a /proc/<pid>/stat line");
  }
}
