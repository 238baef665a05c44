package dev.deploy;

import dev.deploy.ChannelException.Reason;
import dev.deploy.channel.ReceiveEnd;
import dev.deploy.testing.ChannelEnds;
import dev.deploy.testing.LoopbackTables;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;
import org.testng.annotations.AfterClass;

/**
 * The Reactive Streams TCK over {@link Receiver#publisher()} on real channels: every publisher is a
 * Receiver of a table of its own (a "process" with its own I/O loop and port) that sends the
 * elements asked for, then closes its Sender; the failed publisher's remote was killed. TestNG runs
 * it; {@link ReceiverPublisherTckTest} runs TestNG from the JUnit platform.
 */
public class ReceiverPublisherTck extends FlowPublisherVerification<Integer> {
  private final LoopbackTables tables = new LoopbackTables();
  private final LoopbackTables.Table reader = tables.add();

  public ReceiverPublisherTck() {
    super(new TestEnvironment(2_000, 200), 2_000);
  }

  @AfterClass(alwaysRun = true)
  public void tearDown() {
    tables.close();
  }

  @Override
  public Flow.Publisher<Integer> createFlowPublisher(long elements) {
    LoopbackTables.Table writer = tables.add();
    Sender<Integer> sender = ChannelEnds.sender(writer.table().openSender(reader.pid()));
    Thread feeder =
        new Thread(
            () -> {
              try {
                for (long i = 0; i < elements; i++) {
                  sender.send((int) i);
                }
                sender.close();
              } catch (ChannelException | RuntimeException e) {
                // The test is over and its tables are gone.
              }
            },
            "tck-feeder-" + writer.pid());
    feeder.setDaemon(true);
    feeder.start();
    Receiver<Integer> receiver = ChannelEnds.receiver(reader.table().openReceiver(writer.pid()));
    return receiver.publisher();
  }

  @Override
  public Flow.Publisher<Integer> createFailedFlowPublisher() {
    LoopbackTables.Table writer = tables.add();
    Sender<Integer> sender = ChannelEnds.sender(writer.table().openSender(reader.pid()));
    ReceiveEnd end = reader.table().openReceiver(writer.pid());
    Receiver<Integer> receiver = ChannelEnds.receiver(end);
    try {
      sender.send(1);
      receiver.recv(); // the connection is up: its end is a death, not a silence
    } catch (ChannelException e) {
      throw new AssertionError(e);
    }
    writer.kill();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (end.ended() != Reason.LOST) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the reader never learnt that " + writer.pid() + " died");
      }
      Thread.onSpinWait();
    }
    return receiver.publisher();
  }

  @Override
  public long maxElementsFromPublisher() {
    return Long.MAX_VALUE - 1;
  }
}
