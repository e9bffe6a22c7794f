package org.flowlab.cli;

import java.io.PrintWriter;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The root command. {@code ./flowlab} runs {@link #main}; the launcher itself handles {@code ./flowlab test}. */
@Command(name = "flowlab", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        description = "Flowlab: a Java lab for accelerating flow-matching diffusion models (Glance, SCFM).",
        subcommands = {LabCommand.class, KernelCommand.class, RunCommand.class, ScheduleCommand.class,
                SampleCommand.class, EvalCommand.class, ReportCommand.class, GlanceCommand.class, ScfmCommand.class,
                ModelCommand.class,
                LoraCommand.class, TeacherCommand.class, ClassifierCommand.class, CodecCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Launcher commands:", "  test       Run all tests (unit and end-to-end), as CI does."})
public final class FlowlabCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** java.util.logging forgets levels set on loggers nobody holds. */
    private static final Logger ROOT_LOG = Logger.getLogger("");
    private static final Logger TOKENIZER_LOG = Logger.getLogger("org.flowlab.diffusers");

    public static void main(String[] args) {
        // libraries speak only when they warn (Engines silences DJL's harmless CUDA probe)
        ROOT_LOG.setLevel(Level.WARNING);
        // a cut prompt is said once, as a warning line of the command (TextEncoder.notes), not twice
        TOKENIZER_LOG.setLevel(Level.SEVERE);
        System.exit(execute(args));
    }

    /** Runs one command line and returns its exit code (tests call this). */
    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new FlowlabCli());
        cl.setParameterExceptionHandler(FlowlabCli::badParameters);
        cl.setExecutionExceptionHandler(FlowlabCli::failed);
        return cl;
    }

    /** Usage errors: one line naming the bad value, exit 2 (picocli would print the whole usage). */
    private static int badParameters(CommandLine.ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        err.println(e.getCommandLine().getCommandName() + ": " + e.getMessage());
        err.flush();
        return CommandLine.ExitCode.USAGE;
    }

    /** An IllegalArgumentException from lib is bad input (exit 2); anything else is a failure (exit 1). */
    private static int failed(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        String debug = System.getenv("FLOWLAB_DEBUG");
        if (debug != null && !debug.isEmpty() && !debug.equals("0")) {
            e.printStackTrace(err);
        }
        if (e instanceof IllegalArgumentException) {
            err.println(cl.getCommandName() + ": " + e.getMessage());
            err.flush();
            return CommandLine.ExitCode.USAGE;
        }
        err.println(cl.getCommandName() + ": " + e.getClass().getSimpleName() + ": " + e.getMessage()
                + " (set FLOWLAB_DEBUG=1 for the stack trace)");
        err.flush();
        return CommandLine.ExitCode.SOFTWARE;
    }
}
