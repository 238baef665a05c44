package dev.deploy.e2e.programs.ui;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.programs.SelfSignal;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A run to watch in the live view: the first process starts a child that prints on both streams and
 * exits 3 once the file {@code args[0]} exists, a child that SIGKILLs itself, and {@code args[1]}
 * children that print a line each and exit 0; it then waits for a line on its stdin and exits 0.
 */
public final class Watched {
  private static final Resources SMALL = new Resources(96L << 20, 0.01);

  public static void main(String[] args) throws Exception {
    init(new Resources(128L << 20, 0.01));
    System.out.println("root up");
    spawn(Watched::exitsWhenTold, args[0], SMALL).orElseThrow();
    spawn(Watched::killsItself, "", SMALL).orElseThrow();
    int more = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    for (int i = 0; i < more; i++) {
      spawn(Watched::printsOnce, Integer.toString(i), SMALL).orElseThrow();
    }
    System.out.println("root waits for a line on stdin");
    new BufferedReader(new InputStreamReader(System.in)).readLine();
  }

  static void exitsWhenTold(Pid parent, String file) throws Exception {
    for (int i = 0; i < 1000; i++) {
      System.out.println("child line " + i);
    }
    System.out.println("a says hi");
    System.err.println("a warns");
    while (!Files.exists(Path.of(file))) {
      Thread.sleep(20);
    }
    System.out.println("a leaves");
    System.exit(3);
  }

  static void killsItself(Pid parent, String unused) throws Exception {
    System.out.println("b goes");
    SelfSignal.send("KILL");
  }

  static void printsOnce(Pid parent, String index) {
    System.out.println("worker " + index);
  }
}
