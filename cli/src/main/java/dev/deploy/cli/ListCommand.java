package dev.deploy.cli;

import dev.deploy.bridge.Formats;
import dev.deploy.bridge.Json;
import dev.deploy.cluster.client.DeployClient;
import dev.deploy.wire.ClientLink;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code deploy list}: the deployments a bridge holds, one line each. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "List the deployments the bridge holds, running and finished (a finished one is kept for"
          + " a while: fabric master --keep-for), oldest first: id, program (its main class),"
          + " started, processes alive/in all, and state: running, exited N, or stopped.",
      "With --format json, one JSON object per line."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:listed", "1:the bridge cannot be reached", "2:the arguments are wrong"})
final class ListCommand implements Callable<Integer> {
  @Option(
      names = "--format",
      paramLabel = "human|json",
      description = "Output format (default: $DEPLOY_FORMAT, else human).")
  String format;

  @Mixin BridgeClientOptions options;

  @Parameters(
      paramLabel = "<bridge-addr>",
      arity = "0..1",
      description = "Where the bridge listens (host:port; default: $DEPLOY_BRIDGE).")
  List<String> positional = new ArrayList<>();

  @Override
  public Integer call() {
    return Main.guard(
        "deploy list",
        options.verbose,
        () -> {
          String name = BridgeClientOptions.formatName(format);
          boolean json = "json".equals(name);
          if (name != null && !json && !"human".equals(name)) {
            throw new CommandException("--format is human or json, not \"" + name + "\"", 2);
          }
          HeldDeployment.Target t =
              HeldDeployment.target(
                  "list", positional, false, System.getenv("DEPLOY_BRIDGE"), options.keyFile);
          DeployClient client = new DeployClient(t.key(), Formats.forName("human"), null, false);
          List<ClientLink.Listed> listed = HeldDeployment.call(() -> client.list(t.bridge()));
          System.out.print(json ? json(listed) : human(listed, ZoneId.systemDefault()));
          System.out.flush();
          return 0;
        });
  }

  /** Returns the table {@code deploy list} prints, times in {@code zone}. */
  static String human(List<ClientLink.Listed> listed, ZoneId zone) {
    if (listed.isEmpty()) {
      return "no deployments\n";
    }
    DateTimeFormatter time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(zone);
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ID", "PROGRAM", "STARTED", "PROCESSES", "STATE"});
    for (ClientLink.Listed l : listed) {
      rows.add(
          new String[] {
            Long.toString(l.id()),
            l.mainClass(),
            time.format(Instant.ofEpochMilli(l.startedMillis())),
            l.alive() + "/" + l.total(),
            l.stateText() + (l.detached() ? "" : " (attached)")
          });
    }
    int[] widths = new int[5];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        widths[i] = Math.max(widths[i], r[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        out.append(r[i]);
        if (i < r.length - 1) {
          out.append(" ".repeat(widths[i] - r[i].length() + 2));
        }
      }
      out.append('\n');
    }
    return out.toString();
  }

  /** Returns the JSON lines {@code deploy list --format json} prints, one per deployment. */
  static String json(List<ClientLink.Listed> listed) {
    StringBuilder out = new StringBuilder();
    for (ClientLink.Listed l : listed) {
      String state =
          switch (l.state()) {
            case RUNNING -> "running";
            case EXITED -> "exited";
            default -> "stopped";
          };
      out.append("{\"id\":")
          .append(Json.quote(Long.toString(l.id())))
          .append(",\"program\":")
          .append(Json.quote(l.mainClass()))
          .append(",\"started\":")
          .append(Json.quote(Instant.ofEpochMilli(l.startedMillis()).toString()))
          .append(",\"alive\":")
          .append(l.alive())
          .append(",\"processes\":")
          .append(l.total())
          .append(",\"state\":")
          .append(Json.quote(state))
          .append(",\"exitCode\":")
          .append(
              l.state() == ClientLink.Listed.State.RUNNING ? "null" : Integer.toString(l.code()))
          .append(",\"detached\":")
          .append(l.detached())
          .append("}\n");
    }
    return out.toString();
  }
}
