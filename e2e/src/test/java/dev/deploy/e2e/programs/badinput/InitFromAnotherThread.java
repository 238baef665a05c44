package dev.deploy.e2e.programs.badinput;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/**
 * {@code init} from a thread other than main throws {@code IllegalStateException}, whose message
 * names the thread; the process itself goes on and exits 0.
 */
public final class InitFromAnotherThread {
  static final Expect EXPECTED =
      Expect.process()
          .stdout("the other thread ended\n")
          .stderrMatches(
              "Exception in thread \"not-main\" java\\.lang\\.IllegalStateException:"
                  + " [^\n]*thread[^\n]*\n\tat .*");

  public static void main(String[] args) throws InterruptedException {
    init(Resources.DEFAULT);
    Thread other = new Thread(() -> init(Resources.DEFAULT), "not-main");
    other.start();
    other.join();
    System.out.println("the other thread ended");
  }
}
