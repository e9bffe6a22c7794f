package org.flowlab.kernel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.dflib.jjava.jupyter.kernel.history.HistoryEntry;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager;

/**
 * The inputs (and text outputs) of this kernel session, for history requests: tail, range and glob search.
 * Session 1 is always the current one; nothing is written to disk.
 */
final class InMemoryHistory implements HistoryManager {
    static final int SESSION = 1;
    private final List<HistoryEntry> entries = new ArrayList<>();

    synchronized void add(int count, String input, String output) {
        entries.add(new HistoryEntry(SESSION, count, input, output));
    }

    @Override
    public synchronized List<HistoryEntry> lookupTail(int length, Set<ResultFlag> flags) {
        int from = Math.max(0, entries.size() - Math.max(0, length));
        return shape(entries.subList(from, entries.size()), flags);
    }

    @Override
    public synchronized List<HistoryEntry> lookupRange(int session, int start, int stop, Set<ResultFlag> flags) {
        List<HistoryEntry> out = new ArrayList<>();
        for (HistoryEntry e : entries) {
            if ((session == SESSION || session == 0) && e.getCellNumber() >= start && e.getCellNumber() < stop) {
                out.add(e);
            }
        }
        return shape(out, flags);
    }

    @Override
    public synchronized List<HistoryEntry> search(String glob, int length, Set<ResultFlag> flags) {
        Pattern p = Pattern.compile(globToRegex(glob == null ? "*" : glob), Pattern.DOTALL);
        List<HistoryEntry> hits = new ArrayList<>();
        for (HistoryEntry e : entries) {
            if (p.matcher(e.getInput()).matches()) {
                hits.add(e);
            }
        }
        if (flags.contains(ResultFlag.UNIQUE)) {
            Map<String, HistoryEntry> last = new LinkedHashMap<>();
            for (HistoryEntry e : hits) {
                last.remove(e.getInput());
                last.put(e.getInput(), e);
            }
            hits = new ArrayList<>(last.values());
        }
        if (length > 0 && hits.size() > length) {
            hits = hits.subList(hits.size() - length, hits.size());
        }
        return shape(hits, flags);
    }

    private static List<HistoryEntry> shape(List<HistoryEntry> in, Set<ResultFlag> flags) {
        List<HistoryEntry> out = new ArrayList<>();
        for (HistoryEntry e : in) {
            out.add(flags.contains(ResultFlag.INCLUDE_OUTPUT) ? e
                    : new HistoryEntry(e.getSession(), e.getCellNumber(), e.getInput(), null));
        }
        return out;
    }

    private static String globToRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> sb.append(".*");
                case '?' -> sb.append('.');
                default -> sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return sb.toString();
    }
}
