package dev.deploy.e2e.programs.channels;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import dev.deploy.e2e.programs.SelfSignal;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.RunOptions;
import dev.deploy.io.ShmFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A dialler killed (SIGKILL) after it made its shared-memory offer and before anyone mapped it: the
 * child makes an offer file exactly as a dialler does ({@link ShmFile#create}), tells its parent
 * the name, and kills itself, so the file is left as a killed dialler leaves it. The fabric that
 * started the child (here, in the parent's JVM: a local run) sees it end and removes its files, so
 * the file is gone soon after the parent hears of the death.
 */
public final class ShmOfferOfKilledDialler {
  static final Resources SMALL = new Resources(128L << 20, 0.05);

  static final RunOptions RUN = RunOptions.defaults().env("DEPLOY_SHM", "1");

  static final Expect EXPECTED =
      Expect.process()
          .exit(0)
          .stdout("offer made: true\nchild ended: LOST\nfile left: false\n")
          .child(Expect.process().killedBy("SIGKILL"));

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    Pid child = spawn(ShmOfferOfKilledDialler::offerThenDie, 0, SMALL).orElseThrow();
    Path offer;
    String ended = "no end";
    try (Receiver<String> in = new Receiver<>(child);
        Sender<String> go = new Sender<>(child)) {
      offer = Path.of("/dev/shm", in.recv());
      System.out.println("offer made: " + Files.exists(offer));
      go.send("die"); // the child kills itself once it has this: the name reached us
      try {
        in.recv();
      } catch (ChannelException e) {
        ended = String.valueOf(e.reason());
      }
    }
    System.out.println("child ended: " + ended);
    // The fabric sweeps on its own thread once it saw the process end; allow it a moment.
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (Files.exists(offer) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    boolean left = Files.exists(offer);
    Files.deleteIfExists(offer); // a failed run leaves nothing either
    System.out.println("file left: " + left);
  }

  static void offerThenDie(Pid parent, Integer unused) throws Exception {
    ShmFile offer = ShmFile.create();
    Sender<String> out = new Sender<>(parent);
    Receiver<String> go = new Receiver<>(parent);
    out.send(offer.name());
    go.recv();
    SelfSignal.send("KILL"); // with the offer file made and never mapped, as a killed dialler
  }
}
