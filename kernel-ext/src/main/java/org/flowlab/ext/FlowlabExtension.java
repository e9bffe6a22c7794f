package org.flowlab.ext;

import java.util.List;
import org.dflib.jjava.jupyter.Extension;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.flowlab.kernel.ExecutionThreads;
import org.flowlab.kernel.FlowlabKernel;
import org.flowlab.model.Engines;
import org.flowlab.viz.Viz;

/**
 * The preloaded Flowlab library, found by the base library's {@code ServiceLoader} lookup of {@link Extension}:
 * imports ({@link FlowlabImports}), one renderer per lib type that {@link Viz} can draw (lib makes the bundle,
 * this only hands it to Jupyter), and the magics {@code %flowlab} and {@code %seed}.
 */
public final class FlowlabExtension implements Extension {

    @Override
    public void install(BaseKernel kernel) {
        // DJL turns autograd off only on the thread that loaded the engine: every cell and job thread needs it
        ExecutionThreads.register("djl-grad-mode", () -> {
            if (Engines.isLoaded()) {
                Engines.prepareThread();
            }
        });
        FlowlabInfo.addSection("engine", Engines::describe);
        // through the engine, which loads libtorch first: a bare JniUtils call before that is an UnsatisfiedLinkError
        Seeds.onChange("djl", s -> Engines.get().setRandomSeed((int) s));
        if (kernel instanceof FlowlabKernel fk) {
            fk.addImports(FlowlabImports.IMPORTS);
        }
        for (Class<?> type : Viz.types()) {
            register(kernel, type);
        }
        // a widget opens its comms when shown; without a front end that speaks them it shows as text
        kernel.getRenderer().createRegistration(org.flowlab.widgets.Widget.class).preferring(MIMEType.ANY)
                .supporting(MIMEType.ANY).register((w, ctx) -> {
                    ctx.getOutputContainer().putText(w.text());
                    if (org.flowlab.widgets.Widgets.open(w)) {
                        ctx.getOutputContainer().putData(org.flowlab.widgets.Widgets.VIEW_MIME,
                                org.flowlab.widgets.Widgets.view(w));
                    }
                });
        kernel.getMagicsRegistry().registerLineMagic("flowlab", (k, args) -> new FlowlabInfo());
        kernel.getMagicsRegistry().registerLineMagic("seed", (k, args) -> Seeds.magic(args));
    }

    private static <T> void register(BaseKernel kernel, Class<T> type) {
        kernel.getRenderer().createRegistration(type).preferring(MIMEType.ANY).supporting(MIMEType.ANY)
                .register((value, ctx) -> Viz.bundle(value).ifPresent(b -> ExtensionSupport.fill(b, ctx)));
    }

    /** What the extension adds, for {@code %flowlab} and tests. */
    public static List<String> magics() {
        return List.of("flowlab", "seed");
    }
}
