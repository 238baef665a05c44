package dev.deploy.e2e.programs.cleanup;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;

/**
 * The first process spawns two children that print a line every 20 ms for a minute, and prints too:
 * {@code OutputClosedIT} closes the bridge's stdout (as {@code | head} does) and checks that the
 * run ends like a program that got SIGPIPE. No {@code EXPECTED}: its outcome is the test's.
 */
public final class TalkativeChildren {
  public static void main(String[] args) throws InterruptedException {
    init(new Resources(256L << 20, 0.05));
    for (int i = 0; i < 2; i++) {
      spawn(TalkativeChildren::talk, i, new Resources(128L << 20, 0.05)).orElseThrow();
    }
    talk(null, -1);
  }

  static void talk(Pid parent, Integer index) throws InterruptedException {
    for (int line = 0; line < 3000; line++) {
      System.out.println("talker " + index + " line " + line);
      Thread.sleep(20);
    }
  }
}
