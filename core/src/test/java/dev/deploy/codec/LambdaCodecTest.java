package dev.deploy.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import dev.deploy.Task;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class LambdaCodecTest {
  /** What the last task run here produced. */
  static final AtomicReference<String> RESULT = new AtomicReference<>();

  private static final Pid PARENT = Pid.of(new byte[] {127, 0, 0, 1}, 4000, 99);

  private final Codec codec = Codec.standard();

  record WorkerArg(int index, String greeting) {}

  record Point(int x, int y) {}

  /** A record-like class whose method returns a lambda capturing {@code this}. */
  record Greeter(String greeting, List<String> names) {
    Task<String> task() {
      return (parent, arg) -> RESULT.set(greeting + " " + names + " " + arg);
    }
  }

  /** A task that is an object of a program class rather than a lambda. */
  static final class PlainTask implements Task<Integer> {
    private final String prefix;

    PlainTask(String prefix) {
      this.prefix = prefix;
    }

    @Override
    public void run(Pid parent, Integer arg) {
      RESULT.set(prefix + arg + "@" + parent);
    }
  }

  /** Loaded a second time by an isolated class loader to make a task that spawns cannot ship. */
  public static final class Fixture {
    public static Object task() {
      return (Task<String>) (parent, arg) -> RESULT.set(arg);
    }
  }

  static void worker(Pid parent, WorkerArg arg) {
    RESULT.set(arg.greeting() + " from " + parent + " #" + arg.index());
  }

  @AfterEach
  void clearResult() {
    RESULT.set(null);
  }

  @Test
  void givenStaticMethodReference_whenRoundTripped_thenRunsTheMethodWithTheArgument()
      throws Exception {
    Task<WorkerArg> task = LambdaCodecTest::worker;

    LambdaCodec.DecodedTask decoded = roundTrip(task, new WorkerArg(3, "hello worker 3!"));

    assertThat(decoded.arg()).isEqualTo(new WorkerArg(3, "hello worker 3!"));
    assertThat(decoded.task()).isInstanceOf(Task.class).isNotSameAs(task);
    run(decoded);
    assertThat(RESULT.get()).isEqualTo("hello worker 3! from " + PARENT + " #3");
  }

  @Test
  void givenLambdaCapturingIntStringAndRecord_whenRoundTripped_thenCapturedValuesTravel()
      throws Exception {
    int count = 7;
    String label = "label";
    Point point = new Point(1, 2);
    Task<String> task = (parent, arg) -> RESULT.set(count + "/" + label + "/" + point + "/" + arg);

    run(roundTrip(task, "argument"));

    assertThat(RESULT.get()).isEqualTo("7/label/Point[x=1, y=2]/argument");
  }

  @Test
  void givenLambdaCapturingThisOfRecord_whenRoundTripped_thenRecordTravels() throws Exception {
    Task<String> task = new Greeter("hi", List.of("ann", "bob")).task();

    run(roundTrip(task, "!"));

    assertThat(RESULT.get()).isEqualTo("hi [ann, bob] !");
  }

  @Test
  void givenLambdaCapturingAnotherTask_whenRoundTripped_thenBothRebuilt() throws Exception {
    Task<WorkerArg> inner = LambdaCodecTest::worker;
    Task<WorkerArg> outer = (parent, arg) -> inner.run(parent, new WorkerArg(arg.index() + 1, "x"));

    run(roundTrip(outer, new WorkerArg(1, "ignored")));

    assertThat(RESULT.get()).isEqualTo("x from " + PARENT + " #2");
  }

  @Test
  void givenTaskObjectOfProgramClass_whenRoundTripped_thenEncodedAsPlainObject() throws Exception {
    run(roundTrip(new PlainTask("n="), 5));

    assertThat(RESULT.get()).isEqualTo("n=5@" + PARENT);
  }

  @Test
  void givenNullArgument_whenRoundTripped_thenArgumentIsNull() {
    Task<String> task = (parent, arg) -> RESULT.set(String.valueOf(arg));

    assertThat(roundTrip(task, null).arg()).isNull();
  }

  @Test
  void givenLambdaOfNonSerializableInterface_whenEncoded_thenNotASerialisableLambda() {
    Supplier<String> notATask = () -> "x";

    assertThatThrownBy(() -> LambdaCodec.encodeTask(notATask, "arg", codec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the task is not a serialisable lambda: ")
        .hasMessageContaining("java.util.function.Supplier")
        .hasMessageNotContaining("\n");
  }

  @Test
  void givenLambdaCapturingThread_whenEncoded_thenErrorNamesThreadAndCapture() {
    Thread thread = new Thread(() -> {});
    Task<String> task = (parent, arg) -> RESULT.set(thread.getName());

    assertThatThrownBy(() -> LambdaCodec.encodeTask(task, "arg", codec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("a value captured by the task's lambda (")
        .hasMessageContaining("cannot serialise java.lang.Thread")
        .hasMessageNotContaining("\n");
  }

  @Test
  void givenArgumentThatCannotBeSerialised_whenEncoded_thenErrorNamesItsClass() {
    Task<Object> task = (parent, arg) -> RESULT.set("ran");

    assertThatThrownBy(() -> LambdaCodec.encodeTask(task, new Thread(), codec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "the task's argument cannot be serialised: cannot serialise java.lang.Thread");
  }

  @Test
  void givenLambdaFromAnotherClassLoader_whenEncoded_thenNotOnTheClasspath() throws Exception {
    try (URLClassLoader isolated = KryoCodecRefusalTest.isolatedLoader()) {
      Object task = isolated.loadClass(Fixture.class.getName()).getMethod("task").invoke(null);

      assertThatThrownBy(() -> LambdaCodec.encodeTask(task, "arg", codec))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(
              "the task's class "
                  + Fixture.class.getName()
                  + " is not on the classpath of spawned processes");
    }
  }

  @Test
  void givenTaskOfUnknownCapturingClass_whenDecoded_thenCodecExceptionNamingIt() {
    byte[] bytes = LambdaCodec.encodeTask(task(), "arg", codec);
    byte[] renamed = replace(bytes, "codec/LambdaCodecTes", "codec/LambdaCodecTeZ");

    assertThatThrownBy(() -> LambdaCodec.decodeTask(renamed, codec))
        .isInstanceOf(CodecException.class)
        .hasMessage(
            "the task's class dev.deploy.codec.LambdaCodecTeZt is not on this process's"
                + " classpath");
  }

  @Test
  void givenTaskNamingMissingLambdaMethod_whenDecoded_thenCodecExceptionNamingIt() {
    byte[] bytes = LambdaCodec.encodeTask(task(), "arg", codec);
    byte[] renamed = replace(bytes, "lambda$task$", "lambdX$task$");

    assertThatThrownBy(() -> LambdaCodec.decodeTask(renamed, codec))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("class dev.deploy.codec.LambdaCodecTest has no lambda lambdX$task$")
        .hasMessageContaining("different build of the program");
  }

  @Test
  void givenBytesOfAnotherValue_whenDecodedAsTask_thenCodecException() {
    byte[] bytes = codec.encode(List.of("not", "a", "task"));

    assertThatThrownBy(() -> LambdaCodec.decodeTask(bytes, codec))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("malformed task: ");
  }

  @Test
  void givenGarbage_whenDecodedAsTask_thenCodecException() {
    assertThatThrownBy(() -> LambdaCodec.decodeTask(new byte[] {1, 2, 3}, codec))
        .isInstanceOf(CodecException.class);
  }

  private static Task<String> task() {
    return (parent, arg) -> RESULT.set(arg);
  }

  private LambdaCodec.DecodedTask roundTrip(Object task, Object arg) {
    return LambdaCodec.decodeTask(LambdaCodec.encodeTask(task, arg, codec), codec);
  }

  @SuppressWarnings("unchecked")
  private static void run(LambdaCodec.DecodedTask decoded) throws Exception {
    ((Task<Object>) decoded.task()).run(PARENT, decoded.arg());
  }

  /** Replaces every occurrence of an ASCII string of the same length in {@code bytes}. */
  private static byte[] replace(byte[] bytes, String from, String to) {
    byte[] find = from.getBytes(StandardCharsets.US_ASCII);
    byte[] with = to.getBytes(StandardCharsets.US_ASCII);
    byte[] result = bytes.clone();
    int replaced = 0;
    for (int i = 0; i + find.length <= result.length; i++) {
      boolean match = true;
      for (int j = 0; j < find.length && match; j++) {
        match = result[i + j] == find[j];
      }
      if (match) {
        System.arraycopy(with, 0, result, i, with.length);
        replaced++;
      }
    }
    assertThat(replaced).as("occurrences of " + from).isPositive();
    return result;
  }

  static void counter(Pid parent, Integer arg) {
    RESULT.set("counted " + arg);
  }

  @Test
  void givenTasksOfNumbersOnly_whenNeedsCodec_thenFalseAndAnythingElseTrue() {
    Task<Integer> plain = LambdaCodecTest::counter;
    long captured = 7;
    double scale = 0.5;
    Task<Integer> capturing = (parent, arg) -> RESULT.set(captured * scale + " " + arg);
    String text = "text";
    Task<Integer> capturingText = (parent, arg) -> RESULT.set(text + arg);
    Task<WorkerArg> record = LambdaCodecTest::worker;

    assertThat(LambdaCodec.needsCodec(LambdaCodec.encodeTask(plain, 42, codec))).isFalse();
    assertThat(LambdaCodec.needsCodec(LambdaCodec.encodeTask(plain, -1, codec))).isFalse();
    assertThat(LambdaCodec.needsCodec(LambdaCodec.encodeTask(capturing, 3, codec))).isFalse();
    assertThat(LambdaCodec.needsCodec(LambdaCodec.encodeTask(plain, null, codec))).isTrue();
    assertThat(LambdaCodec.needsCodec(LambdaCodec.encodeTask(capturingText, 3, codec))).isTrue();
    assertThat(LambdaCodec.needsCodec(LambdaCodec.encodeTask(record, new WorkerArg(1, "x"), codec)))
        .isTrue();
    assertThat(LambdaCodec.needsCodec(LambdaCodec.encodeTask(new PlainTask("p"), 1, codec)))
        .isTrue();
    assertThat(LambdaCodec.needsCodec(new byte[] {9, 9, 9})).isTrue();
  }
}
