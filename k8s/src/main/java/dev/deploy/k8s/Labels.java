package dev.deploy.k8s;

import java.util.LinkedHashMap;
import java.util.Map;

/** The labels on every object deploy makes: the app, the run, the role; and their selectors. */
public final class Labels {
  private Labels() {}

  /** Every object deploy makes has {@code app.kubernetes.io/name=deploy}. */
  public static final String NAME = "app.kubernetes.io/name";

  /** The run an object belongs to. */
  public static final String RUN = "app.kubernetes.io/instance";

  /** {@value #MASTER} or {@value #FABRIC}. */
  public static final String ROLE = "app.kubernetes.io/component";

  /** The value of {@link #NAME}. */
  public static final String APP = "deploy";

  /** The master pod's role. */
  public static final String MASTER = "master";

  /** A fabric pod's role. */
  public static final String FABRIC = "fabric";

  /** A Secret or service: no role. */
  public static final String RUN_OBJECT = "run";

  /** Returns the labels of an object of {@code run} in {@code role}. */
  public static Map<String, String> of(String run, String role) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NAME, APP);
    labels.put(RUN, run);
    labels.put(ROLE, role);
    return labels;
  }

  /** Returns the selector of every object of {@code run}. */
  public static Map<String, String> ofRun(String run) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NAME, APP);
    labels.put(RUN, run);
    return labels;
  }
}
