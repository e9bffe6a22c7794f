package org.flowlab.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.flowlab.kernel.FlowlabKernel;
import org.flowlab.kernel.NotebookRunner;
import org.flowlab.kernel.OutputRouter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flowlab run NOTEBOOK}: executes a notebook in this JVM, no Jupyter or Python needed. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a notebook's code cells top to bottom headless and write the outputs (text, PNG, HTML) into"
                + " the notebook. Exits 1 at the first failing cell, naming it.")
final class RunCommand implements Callable<Integer> {

    @Parameters(paramLabel = "NOTEBOOK.ipynb", description = "the notebook to run")
    Path notebook;

    @Option(names = "--out", paramLabel = "OUT.ipynb", description = "where to write the result (default: in place)")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(notebook)) {
            throw new IllegalArgumentException("notebook " + notebook + " does not exist");
        }
        if (!notebook.toString().endsWith(".ipynb")) {
            throw new IllegalArgumentException(notebook + " is not a .ipynb notebook");
        }
        Path target = out != null ? out : notebook;
        // the cells own System.out from here on; progress goes to the real terminal
        PrintStream realOut = System.out;
        PrintStream realErr = System.err;
        FlowlabKernel kernel = FlowlabKernel.start(VersionInfo.flowlabVersion(), System.getProperty("java.class.path"),
                new OutputRouter(realOut, realErr));
        NotebookRunner.Result r;
        try {
            r = NotebookRunner.run(kernel, notebook, target, realErr);
        } finally {
            kernel.onShutdown(false);
        }
        if (!r.ok()) {
            realErr.println("flowlab run: " + notebook + ": code cell " + r.failedCell() + " failed: " + r.error()
                    + " (outputs written to " + target + ")");
            return 1;
        }
        realErr.println("flowlab run: " + r.cells() + " code cells ok; wrote " + target);
        return 0;
    }
}
