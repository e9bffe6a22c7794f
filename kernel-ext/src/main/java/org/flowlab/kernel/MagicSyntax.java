package org.flowlab.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns magic lines into Java calls before JShell sees the cell. A line magic is a line whose first non-blank
 * character is {@code %} ({@code %seed 42}); a cell magic is a first line starting with {@code %%}, the rest of the
 * cell being its body. A magic on the cell's last line shows its value, like an expression.
 *
 * <p>Known ambiguity (IPython has its twin): a Java expression continued on a new line that starts with the
 * modulo operator reads as a magic; put the operator at the end of the previous line instead.
 */
final class MagicSyntax {
    private static final String CALLS = "org.flowlab.kernel.Notebook.";

    private MagicSyntax() {
    }

    static boolean hasMagic(String code) {
        return code.lines().anyMatch(l -> l.stripLeading().startsWith("%"));
    }

    static String transpile(String code) {
        if (!hasMagic(code)) {
            return code;
        }
        String stripped = code.stripLeading();
        if (stripped.startsWith("%%")) {
            int nl = stripped.indexOf('\n');
            String head = nl < 0 ? stripped.substring(2) : stripped.substring(2, nl);
            String body = nl < 0 ? "" : stripped.substring(nl + 1);
            List<String> words = split(head);
            if (words.isEmpty()) {
                throw new IllegalArgumentException("'%%' needs a magic name, e.g. %%timeit");
            }
            return CALLS + "cellMagic(" + literal(words.get(0)) + ", " + list(words.subList(1, words.size())) + ", "
                    + literal(body) + ")";
        }
        String[] lines = code.split("\n", -1);
        int lastCode = lines.length - 1;
        while (lastCode > 0 && lines[lastCode].isBlank()) {
            lastCode--;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String s = line.stripLeading();
            if (s.startsWith("%")) {
                List<String> words = split(s.substring(1));
                if (words.isEmpty()) {
                    throw new IllegalArgumentException("'%' on line " + (i + 1) + " needs a magic name, e.g. %flowlab");
                }
                String indent = line.substring(0, line.length() - s.length());
                sb.append(indent).append(CALLS).append("lineMagic(").append(literal(words.get(0))).append(", ")
                        .append(list(words.subList(1, words.size()))).append(')').append(i == lastCode ? "" : ";");
            } else {
                sb.append(line);
            }
            if (i < lines.length - 1) {
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /** Words separated by blanks; single or double quotes keep blanks inside a word. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        boolean inWord = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    cur.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unclosed " + quote + " in magic arguments: " + s.strip());
        }
        if (inWord) {
            out.add(cur.toString());
        }
        return out;
    }

    private static String list(List<String> words) {
        StringBuilder sb = new StringBuilder("java.util.List.of(");
        for (int i = 0; i < words.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(literal(words.get(i)));
        }
        return sb.append(')').toString();
    }

    /** A Java string literal with the same characters. */
    static String literal(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
