package dev.deploy.examples;

import static dev.deploy.Deploy.*;

import dev.deploy.*;

/**
 * A pipeline of processes: numbers flow from a source through a squarer and a filter back to the
 * first process, each stage in its own JVM, each channel with its own back-pressure. Stages are
 * spawned from the end backwards so each knows where to send; the first process then tells each
 * stage where its input comes from.
 *
 * <pre>java -cp cli/target/deploy.jar:examples/target/classes dev.deploy.examples.Pipeline</pre>
 */
public class Pipeline {
  static final Resources SMALL = new Resources(128L << 20, 0.05);
  static final long COUNT = 1_000_000;

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    Pid filter = spawn(Pipeline::evenOnly, pid(), SMALL).orElseThrow();
    Pid squarer = spawn(Pipeline::square, filter, SMALL).orElseThrow();
    Pid source = spawn(Pipeline::count, squarer, SMALL).orElseThrow();
    tell(filter, squarer);
    tell(squarer, source);
    try (Receiver<Long> results = new Receiver<>(filter)) {
      long sum = results.stream().mapToLong(Long::longValue).sum();
      System.out.println("sum of the even squares below " + COUNT + ": " + sum);
    }
  }

  /** Tells {@code stage} which process feeds it. */
  static void tell(Pid stage, Pid upstream) throws ChannelException {
    try (Sender<Pid> sender = new Sender<>(stage)) {
      sender.send(upstream);
    }
  }

  static Pid upstream(Pid parent) throws ChannelException {
    try (Receiver<Pid> receiver = new Receiver<>(parent)) {
      return receiver.recv();
    }
  }

  static void count(Pid parent, Pid next) throws Exception {
    try (Sender<Long> out = new Sender<>(next)) {
      for (long i = 0; i < COUNT; i++) {
        out.send(i);
      }
    }
  }

  static void square(Pid parent, Pid next) throws Exception {
    try (Receiver<Long> in = new Receiver<>(upstream(parent));
        Sender<Long> out = new Sender<>(next)) {
      for (Long v : (Iterable<Long>) in.stream()::iterator) {
        out.send(v * v);
      }
    }
  }

  static void evenOnly(Pid parent, Pid next) throws Exception {
    try (Receiver<Long> in = new Receiver<>(upstream(parent));
        Sender<Long> out = new Sender<>(next)) {
      for (Long v : (Iterable<Long>) in.stream()::iterator) {
        if (v % 2 == 0) {
          out.send(v);
        }
      }
    }
  }
}
