package org.flowlab.kernel;

import java.util.List;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/** The test kernel for tests in other packages. */
public final class KernelAccess {
    private KernelAccess() {
    }

    public record Ran(TestKernel.Ran ran) {
        public String resultText() {
            return ran.resultText();
        }

        public String stdout() {
            return ran.out().stream("stdout");
        }

        public List<String> displayIds(String kind) {
            return ran.out().of(kind).stream().map(RecordingOutput.Event::text).toList();
        }

        public DisplayData lastUpdate() {
            List<RecordingOutput.Event> u = ran.out().of("update");
            return u.get(u.size() - 1).data();
        }
    }

    public static Ran run(String code) {
        return new Ran(TestKernel.run(code));
    }
}
