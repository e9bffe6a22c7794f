package org.flowlab.ext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.flowlab.diffusers.TinyPipelines;
import org.flowlab.kernel.KernelAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A diffusers pipeline folder from a notebook: the toy's calls and live displays, nothing pipeline-specific. */
class PipelineNotebookTest {
    @TempDir
    Path tmp;

    @Test
    void scfmOnAFluxFolderRunsLiveWithPreviewsAndNoTextEncoderLoaded() throws Exception {
        Path flux = TinyPipelines.flux(tmp.resolve("tiny-flux"));
        String dir = flux.toString().replace("\\", "\\\\");
        String cache = tmp.resolve("cache").toString().replace("\\", "\\\\");
        KernelAccess.Ran r = KernelAccess.run(
                "var teacher = DiffusersPipeline.open(Path.of(\"" + dir + "\"), DiffusersPipeline.Options.of(16, 16));\n"
                        + "TeacherCache.pregenerate(teacher, List.of(\"a red circle\", \"a blue square\"), 1, 0,"
                        + " new TeacherCache.Settings(2, teacher.defaults().shift(), 1.0), Path.of(\"" + cache + "\"),"
                        + " LiveDisplay.open(\"pre-generation\"));\n"
                        + "var flux = DiffusersPipeline.open(Path.of(\"" + dir + "\"), DiffusersPipeline.Options.of(16, 16));\n"
                        + "var scfm = new Scfm(flux, TeacherCache.open(Path.of(\"" + cache + "\")),"
                        + " ScfmConfig.forModel(flux).toBuilder().batchSize(2).lora(2, 2).build());\n"
                        + "var run = scfm.start(2, LiveDisplay.open(\"SCFM on Flux\"), 1, TrainingLoop.Checkpoints.NONE);\n"
                        + "run.join();\n"
                        + "scfm.stepsDone() + \" steps, cached conditioning \" + scfm.usesCachedConditioning()"
                        + " + \", text encoder loaded \" + ((FluxTextEncoder) flux.textEncoder()).loaded()");
        assertEquals("2 steps, cached conditioning true, text encoder loaded false", r.resultText(), r.stdout());
        var last = r.lastUpdate();
        String text = String.valueOf(last.getData(MIMEType.TEXT_PLAIN));
        assertTrue(text.contains("2/2") && text.contains("done"), text);
        assertNotNull(last.getData(MIMEType.IMAGE_PNG), "the live display shows the student's decoded samples");
    }
}
