package dev.jdiffusion.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.Column.Overflow;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * picocli's usage help, wrapped at spaces only. picocli finds line breaks with the JDK's line
 * {@link java.text.BreakIterator}, which also breaks after a '.', ':', '/' or '=' inside a token, so help text
 * came out as "lambda=0." and "2" on two lines. Here every wrapped column (command description, header,
 * footer, option and parameter descriptions, the subcommand list) breaks between words; only a single word
 * longer than the whole column is cut.
 */
final class WordWrapHelp extends CommandLine.Help {

  WordWrapHelp(CommandSpec spec, ColorScheme colorScheme) {
    super(spec, colorScheme);
  }

  /** Installs this help on a command line and all its subcommands. */
  static void install(CommandLine cl) {
    cl.setHelpFactory(WordWrapHelp::new);
  }

  private int width() {
    return commandSpec().usageMessage().width();
  }

  @Override
  public Layout createDefaultLayout(List<OptionSpec> options, List<PositionalParamSpec> positionals,
      ColorScheme scheme) {
    int longOptions = calcLongOptionColumnWidth(options, positionals, scheme);
    TextTable table = new SpaceWrappingTable(scheme,
        new Column(2, 0, Overflow.TRUNCATE), // "*"
        new Column(2, 0, Overflow.SPAN), // "-c"
        new Column(1, 0, Overflow.TRUNCATE), // ","
        new Column(longOptions, 1, Overflow.SPAN), // " --create"
        new Column(width() - 5 - longOptions, 1, Overflow.WRAP)); // " Creates a ..."
    table.setAdjustLineBreaksForWideCJKCharacters(commandSpec().usageMessage().adjustLineBreaksForWideCJKCharacters());
    return new Layout(scheme, table, createDefaultOptionRenderer(), createDefaultParameterRenderer());
  }

  @Override
  public String description(Object... params) {
    return paragraphs(commandSpec().usageMessage().description(), params);
  }

  @Override
  public String header(Object... params) {
    return paragraphs(commandSpec().usageMessage().header(), params);
  }

  @Override
  public String footer(Object... params) {
    return paragraphs(commandSpec().usageMessage().footer(), params);
  }

  private String paragraphs(String[] lines, Object... params) {
    StringBuilder sb = new StringBuilder();
    if (lines != null && lines.length > 0) {
      TextTable table = new SpaceWrappingTable(colorScheme(), new Column(width(), 0, Overflow.WRAP));
      table.indentWrappedLines = 0;
      for (String line : lines) {
        table.addRowValues(format(line, params));
      }
      table.toString(sb);
    }
    return sb.toString();
  }

  @Override
  public String commandList(Map<String, CommandLine.Help> subcommands) {
    if (subcommands.isEmpty()) {
      return "";
    }
    int longest = 0;
    for (String name : subcommands.keySet()) {
      longest = Math.max(longest, name.length());
    }
    int names = Math.min(longest, width() / 2);
    TextTable table = new SpaceWrappingTable(colorScheme(),
        new Column(names + 2, 2, Overflow.SPAN),
        new Column(width() - (names + 2), 2, Overflow.WRAP));
    for (Map.Entry<String, CommandLine.Help> e : subcommands.entrySet()) {
      UsageMessageSpec usage = e.getValue().commandSpec().usageMessage();
      String first = usage.header().length > 0 ? usage.header()[0]
          : usage.description().length > 0 ? usage.description()[0] : "";
      Text[] lines = colorScheme().text(format(first)).splitLines();
      for (int i = 0; i < lines.length; i++) {
        table.addRowValues(i == 0 ? e.getValue().commandNamesText(", ") : colorScheme().text(""), lines[i]);
      }
    }
    return table.toString();
  }

  private static String format(String text, Object... params) {
    return text == null ? "" : String.format(text, params);
  }

  /** A text table whose wrapping columns break lines at spaces only. */
  static final class SpaceWrappingTable extends TextTable {
    private final ColorScheme scheme;

    SpaceWrappingTable(ColorScheme scheme, Column... columns) {
      super(scheme, columns);
      this.scheme = scheme;
    }

    @Override
    public Cell putValue(int row, int col, Text value) {
      Column column = columns()[col];
      if (column.overflow != Overflow.WRAP || value == null || value.plainString().isEmpty()) {
        return super.putValue(row, col, value);
      }
      List<Text> pieces = split(value, column.width - column.indent, column.width - column.indent - indentWrappedLines);
      Cell last = null;
      for (int i = 0; i < pieces.size(); i++) {
        if (i > 0) {
          addEmptyRow();
          row = last.row + 1;
        }
        Text piece = i == 0 ? pieces.get(0)
            : scheme.text(" ".repeat(indentWrappedLines)).concat(pieces.get(i));
        last = super.putValue(row, col, piece);
      }
      return last;
    }

    /** Cuts {@code value} at spaces into pieces of at most {@code first}, then {@code rest}, characters. */
    private static List<Text> split(Text value, int first, int rest) {
      List<Text> pieces = new ArrayList<>();
      String plain = value.plainString();
      int start = 0;
      while (start < plain.length()) {
        int room = Math.max(1, pieces.isEmpty() ? first : rest);
        if (plain.length() - start <= room) {
          pieces.add(value.substring(start, plain.length()));
          break;
        }
        int cut = plain.lastIndexOf(' ', start + room);
        if (cut <= start) { // one word longer than the column: cut it (nothing better exists)
          cut = start + room;
          pieces.add(value.substring(start, cut));
          start = cut;
        } else {
          pieces.add(value.substring(start, cut));
          start = cut + 1;
        }
        while (start < plain.length() && plain.charAt(start) == ' ') {
          start++;
        }
      }
      return pieces;
    }
  }
}
