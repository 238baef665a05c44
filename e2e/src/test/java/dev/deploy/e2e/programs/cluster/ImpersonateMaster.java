package dev.deploy.e2e.programs.cluster;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.FrameProtection;
import dev.deploy.security.Handshake;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A deployed program that turns on its cluster: it takes the key in its own environment and dials
 * the worker at {@code args[0]} ({@code host:port}) as if it were the master. Prints {@code
 * accepted as the master} or {@code refused: <why>}; a process holds only its deployment's key, so
 * it must be refused.
 */
public final class ImpersonateMaster {
  public static void main(String[] args) {
    init(new Resources(128L << 20, 0.05));
    int colon = args[0].lastIndexOf(':');
    InetSocketAddress worker =
        new InetSocketAddress(
            args[0].substring(0, colon), Integer.parseInt(args[0].substring(colon + 1)));
    ClusterKey own = ClusterKey.fromHex(System.getenv("DEPLOY_RUN_KEY"));
    try (Socket s = new Socket(worker.getAddress(), worker.getPort())) {
      s.setSoTimeout(10_000);
      Handshake.dialer(
              Handshake.Role.MASTER,
              own,
              0,
              Handshake.Role.WORKER,
              Handshake.target(worker),
              FrameProtection.Mode.NONE)
          .run(s.getInputStream(), s.getOutputStream());
      System.out.println("accepted as the master");
    } catch (IOException e) {
      System.out.println("refused: " + e.getMessage());
    }
  }
}
