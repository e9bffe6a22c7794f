package org.flowlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.SchedulePreset;
import org.junit.jupiter.api.Test;

class VizTest {

    @Test
    void everyKnownTypeRendersWithTextPlain() {
        Object[] values = {
            SchedulePreset.SD3.schedule(4),
            GlanceLists.derive(SchedulePreset.FLUX_DEV, 512, 512),
            new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB),
            TablesTest.table(2),
            LineChart.titled("c").series("s", 1, 2),
            org.flowlab.progress.Progress.of("j", 1, 2, 1),
            MimeBundle.text("plain"),
        };
        for (Object v : values) {
            MimeBundle b = Viz.bundle(v).orElseThrow(() -> new AssertionError("no renderer for " + v.getClass()));
            assertTrue(b.has(MimeBundle.TEXT_PLAIN), v.getClass() + " has text/plain");
        }
    }

    @Test
    void schedulesShowTheirTableAsText() {
        var s = SchedulePreset.SD3.schedule(4);
        MimeBundle b = Viz.bundle(s).orElseThrow();
        assertEquals(s.toString(), b.text());
        assertTrue(b.png().isPresent() && b.html().isPresent());
    }

    @Test
    void unknownTypesAndNullHaveNoBundle() {
        assertTrue(Viz.bundle("a string").isEmpty());
        assertTrue(Viz.bundle(null).isEmpty());
    }

    @Test
    void registeredTypesAreFoundThroughSubclasses() {
        class Base {
        }
        class Derived extends Base {
        }
        Viz.register(Base.class, x -> MimeBundle.text("base"));
        assertEquals("base", Viz.bundle(new Derived()).orElseThrow().text());
        assertTrue(Viz.types().contains(Base.class));
    }
}
