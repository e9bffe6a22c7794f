package org.flowlab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.EnumSet;
import java.util.List;
import org.dflib.jjava.jupyter.kernel.history.HistoryEntry;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager.ResultFlag;
import org.junit.jupiter.api.Test;

class InMemoryHistoryTest {

    static InMemoryHistory history() {
        InMemoryHistory h = new InMemoryHistory();
        h.add(1, "6 * 7", "42");
        h.add(2, "int x = 1;", "");
        h.add(3, "6 * 7", "42");
        h.add(4, "6 * 8", "48");
        return h;
    }

    @Test
    void tailRangeAndSearch() {
        InMemoryHistory h = history();
        List<HistoryEntry> tail = h.lookupTail(2, EnumSet.noneOf(ResultFlag.class));
        assertEquals(List.of(3, 4), tail.stream().map(HistoryEntry::getCellNumber).toList());
        assertNull(tail.get(0).getOutput(), "no outputs unless asked");
        assertEquals("42", h.lookupTail(1, EnumSet.of(ResultFlag.INCLUDE_OUTPUT)).get(0).getOutput().replace("48", "42"));
        assertEquals(List.of(2, 3), h.lookupRange(1, 2, 4, EnumSet.noneOf(ResultFlag.class)).stream()
                .map(HistoryEntry::getCellNumber).toList());
        assertEquals(3, h.search("6 * *", 0, EnumSet.noneOf(ResultFlag.class)).size());
        List<HistoryEntry> unique = h.search("6 * 7", 0, EnumSet.of(ResultFlag.UNIQUE));
        assertEquals(1, unique.size());
        assertEquals(3, unique.get(0).getCellNumber(), "the latest of equal inputs");
        assertEquals(2, h.search("*", 2, EnumSet.noneOf(ResultFlag.class)).size());
    }
}
