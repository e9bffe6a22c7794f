package org.flowlab.ext;

import java.util.List;

/** What every cell has imported, so cell 1 can be {@code SchedulePlot.of(SchedulePreset.FLUX_DEV.schedule(28, 1024, 1024))}. */
public final class FlowlabImports {
    private FlowlabImports() {
    }

    /**
     * The one list: add a package here (one line) when lib grows, e.g. {@code "org.flowlab.flow.*"}. Entries are
     * what follows {@code import}; {@code "static a.B.*"} works too. JShell's API starts with no imports at all,
     * so the everyday JDK packages are listed as well.
     */
    public static final List<String> IMPORTS = List.of(
            "java.util.*",
            "java.util.function.*",
            "java.util.stream.*",
            "java.io.*",
            "java.nio.file.*",
            "java.time.*",
            "java.awt.image.BufferedImage",
            "tech.tablesaw.api.*",
            "org.flowlab.schedule.*",
            "org.flowlab.model.*",
            "org.flowlab.toy.*",
            "org.flowlab.toy.scenes.*",
            "org.flowlab.lora.*",
            "org.flowlab.ema.*",
            "org.flowlab.flow.*",
            "org.flowlab.data.*",
            "org.flowlab.train.*",
            "org.flowlab.glance.*",
            "org.flowlab.scfm.*",
            "org.flowlab.cache.*",
            "org.flowlab.diffusers.*",
            "org.flowlab.eval.*",
            "org.flowlab.io.*",
            "org.flowlab.progress.*",
            "org.flowlab.viz.*",
            "org.flowlab.demo.*",
            "org.flowlab.ext.*",
            "org.flowlab.widgets.*");
}
