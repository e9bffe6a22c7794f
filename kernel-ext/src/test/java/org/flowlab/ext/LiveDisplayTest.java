package org.flowlab.ext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.flowlab.kernel.KernelAccess;
import org.junit.jupiter.api.Test;

class LiveDisplayTest {

    @Test
    void aJobUpdatesOneDisplayInPlaceUntilDone() {
        KernelAccess.Ran r = KernelAccess.run(
                "var job = Demos.eulerSweep(new EulerSweep(GaussianMixture2D.ring(4, 2, 0.2), new int[] {1, 2, 4}, 200, 1, 0));\n"
                        + "job.await().stages().size()");
        assertEquals("3", r.resultText());
        List<String> ids = r.displayIds("display");
        assertEquals(1, ids.size(), "one live output");
        List<String> updates = r.displayIds("update");
        assertTrue(updates.size() >= 1, "updated at least once");
        assertTrue(updates.stream().allMatch(ids.get(0)::equals), "always the same output");
        var last = r.lastUpdate();
        String text = String.valueOf(last.getData(MIMEType.TEXT_PLAIN));
        assertTrue(text.startsWith("Euler sweep 3/3") && text.contains("done"), text);
        assertTrue(last.getData(MIMEType.IMAGE_PNG) != null && last.getData(MIMEType.TEXT_HTML) != null);
    }

    @Test
    void aFailingJobSaysWhyInItsDisplay() {
        KernelAccess.Ran r = KernelAccess.run(
                "var bad = Job.start(\"bad job\", l -> { l.onProgress(org.flowlab.progress.Progress.of(\"bad job\", 1, 2, 0.5));"
                        + " RuntimeException e = new IllegalStateException(\"no data\");"
                        + " l.onFinished(org.flowlab.progress.Progress.of(\"bad job\", 1, 2, 0.5), e); throw e; });\n"
                        + "try { bad.await(); } catch (IllegalStateException e) { System.out.println(\"caught \" + e.getMessage()); }");
        assertTrue(r.stdout().contains("caught no data"), r.stdout());
        String text = String.valueOf(r.lastUpdate().getData(MIMEType.TEXT_PLAIN));
        assertTrue(text.contains("stopped: IllegalStateException: no data"), text);
    }
}
