package dev.jdiffusion.core;

import java.util.Collection;
import java.util.stream.Collectors;

/** No plugin of a kind has the requested id; the message lists the available ones. */
public final class UnknownPluginException extends PluginException {
  private static final long serialVersionUID = 1L;

  private final PluginKind kind;
  private final String id;

  public UnknownPluginException(PluginKind kind, String id, Collection<PluginEntry> available) {
    super(message(kind, id, available));
    this.kind = kind;
    this.id = id;
  }

  static String message(PluginKind kind, String id, Collection<PluginEntry> available) {
    String list =
        available.stream()
            .map(e -> "  " + e.id() + " - " + e.description())
            .collect(Collectors.joining("\n"));
    return "unknown " + kind.label() + " '" + id + "'; available " + kind.label() + "s:\n" + list;
  }

  public PluginKind kind() {
    return kind;
  }

  public String id() {
    return id;
  }
}
