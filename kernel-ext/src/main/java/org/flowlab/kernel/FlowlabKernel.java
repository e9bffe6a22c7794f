package org.flowlab.kernel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.channels.ShellReplyEnvironment;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.ExpressionValue;
import org.dflib.jjava.jupyter.kernel.HelpLink;
import org.dflib.jjava.jupyter.kernel.JupyterIO;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;
import org.dflib.jjava.jupyter.kernel.magic.UndefinedMagicException;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;
import org.dflib.jjava.jupyter.kernel.util.TextColor;
import com.google.gson.JsonArray;
import java.util.EnumSet;
import java.util.Set;
import org.dflib.jjava.jupyter.kernel.history.HistoryEntry;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager;
import org.dflib.jjava.jupyter.messages.Header;
import org.dflib.jjava.jupyter.messages.Message;
import org.dflib.jjava.jupyter.messages.MessageType;
import org.dflib.jjava.jupyter.messages.reply.HistoryReply;
import org.dflib.jjava.jupyter.messages.reply.KernelInfoReply;
import org.dflib.jjava.jupyter.messages.request.HistoryRequest;
import org.dflib.jjava.jupyter.messages.request.KernelInfoRequest;
import org.dflib.jjava.jupyter.messages.publish.PublishExecuteInput;
import org.dflib.jjava.jupyter.messages.reply.ErrorReply;
import org.dflib.jjava.jupyter.messages.reply.ExecuteReply;
import org.dflib.jjava.jupyter.messages.request.ExecuteRequest;

/**
 * The Flowlab Java kernel: {@code jjava-jupyter}'s kernel base (protocol, renderer and magics registries,
 * extension loading) with Flowlab's own JShell evaluator and fixes for what the base ignores:
 * {@code silent}, {@code store_history} and {@code stop_on_error} are honoured, output is routed per cell from
 * any thread ({@link OutputRouter}), and interrupts stop the running cell ({@link FlowlabExecutionControl}).
 *
 * <p>The same object runs notebooks headless ({@code flowlab run}): {@link #executeCell} needs no connection.
 */
public final class FlowlabKernel extends BaseKernel {
    public static final String NAME = "flowlab";
    private static volatile FlowlabKernel current;

    private final OutputRouter router;
    private final JShellEvaluator evaluator;
    private final InMemoryHistory history;
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicBoolean abortQueued = new AtomicBoolean();
    private final List<String> imports = new ArrayList<>();
    private volatile OutputTarget foreground;
    private volatile JupyterConnection connection;

    private FlowlabKernel(String version, InMemoryHistory history, OutputRouter router, String classpath) {
        super(NAME, version,
                new LanguageInfo.Builder("java").version(Runtime.version().toString()).mimetype("text/x-java-source")
                        .fileExtension(".jshell").pygments("java").codemirror("text/x-java").exporter("script")
                        .build(),
                List.of(new HelpLink("Java " + Runtime.version().feature() + " API",
                        "https://docs.oracle.com/en/java/javase/" + Runtime.version().feature() + "/docs/api/")),
                history, new JupyterIO(StandardCharsets.UTF_8), new WidgetComms(), new Renderer(), null,
                new MagicsRegistry(), true,
                new StringStyler.Builder().addPrimaryStyle(TextColor.BOLD_RESET_FG)
                        .addSecondaryStyle(TextColor.BOLD_RED_FG).addHighlightStyle(TextColor.BOLD_RESET_FG)
                        .addHighlightStyle(TextColor.RED_BG).build());
        this.history = history;
        this.router = router;
        this.evaluator = new JShellEvaluator(classpath, this::bindExecutionThread);
    }

    /**
     * A ready kernel: JShell started on {@code classpath}, System.out/err routed, extensions installed (they add
     * imports and renderers). Only one kernel per JVM: cells reach it through static calls.
     */
    public static synchronized FlowlabKernel start(String version, String classpath, OutputRouter router) {
        if (current != null) {
            throw new IllegalStateException("a Flowlab kernel is already running in this JVM");
        }
        FlowlabKernel k = new FlowlabKernel(version, new InMemoryHistory(), router, classpath);
        router.install();
        current = k;
        k.addImports(List.of("static org.flowlab.kernel.Notebook.*"));
        k.onStartup(); // installs the notebook kernel static and the Extension services (imports, renderers)
        return k;
    }

    /** The running kernel (for the notebook statics and extensions). */
    public static FlowlabKernel current() {
        FlowlabKernel k = current;
        if (k == null) {
            throw new IllegalStateException("no Flowlab kernel is running in this JVM");
        }
        return k;
    }

    public OutputRouter router() {
        return router;
    }

    /** Imports every cell sees, e.g. {@code org.flowlab.schedule.*} or {@code static org.flowlab.viz.Viz.*}. */
    public synchronized void addImports(Collection<String> newImports) {
        evaluator.importAll(newImports);
        imports.addAll(newImports);
    }

    public synchronized List<String> imports() {
        return List.copyOf(imports);
    }

    private void bindExecutionThread() {
        OutputTarget t = foreground;
        if (t != null) {
            router.bind(t);
        }
    }

    /** How one cell went. */
    public record CellRun(int count, EvalOutcome outcome, Optional<DisplayData> result) {
        public boolean ok() {
            return outcome instanceof EvalOutcome.Success;
        }
    }

    /**
     * Runs one cell: magics, then the Java snippets; outputs (streams, displays, the result, the error) go to
     * {@code output}.
     *
     * @param storeHistory counts the cell (In[n]) and records it; off for silent and internal requests
     */
    public CellRun executeCell(String code, CellOutput output, boolean storeHistory) {
        int n = storeHistory ? count.incrementAndGet() : count.get();
        String label = storeHistory ? "In[" + n + "]" : "the cell";
        OutputTarget target = router.open(output, label);
        foreground = target;
        EvalOutcome outcome;
        Optional<DisplayData> shown = Optional.empty();
        try {
            outcome = evaluate(code, label);
            if (outcome instanceof EvalOutcome.Success s && s.value().isPresent()) {
                try {
                    DisplayData d = render(s.value().get());
                    shown = Optional.of(d);
                    target.executeResult(n, d);
                } catch (RuntimeException e) {
                    outcome = new EvalOutcome.Failure("RenderError", "the value of " + label + " could not be drawn: " + e,
                            List.of("rendering " + s.value().get().getClass().getName() + " failed: " + e));
                }
            }
            if (outcome instanceof EvalOutcome.Failure f) {
                target.error(f.ename(), f.evalue(), f.traceback());
            }
        } finally {
            target.flush();
            foreground = null;
        }
        if (storeHistory) {
            history.add(n, code, shown.map(d -> String.valueOf(d.getData(MIMEType.TEXT_PLAIN))).orElse(""));
        }
        return new CellRun(n, outcome, shown);
    }

    private EvalOutcome evaluate(String code, String label) {
        String java;
        try {
            java = MagicSyntax.transpile(code);
        } catch (IllegalArgumentException e) {
            return new EvalOutcome.Failure("MagicSyntaxError", e.getMessage(), List.of(e.getMessage()));
        }
        try {
            return evaluator.eval(java, label);
        } catch (RuntimeException e) {
            // JShell itself failed: the request still gets its reply, the kernel stays up
            return new EvalOutcome.Failure("KernelError", "JShell could not run " + label + ": " + e,
                    List.of("JShell could not run " + label + ": " + e, "(restart the kernel if this repeats)"));
        }
    }

    /** The display bundle of a value: lib's renderers (registered by the extension), else its text. */
    public DisplayData render(Object value) {
        if (value instanceof DisplayData d) {
            return d;
        }
        return getRenderer().render(value);
    }

    public DisplayData render(Object value, String... mimeTypes) {
        if (mimeTypes.length == 0) {
            return render(value);
        }
        return getRenderer().renderAs(value, mimeTypes);
    }

    // ----------------------------------------------------------------- Jupyter protocol

    @Override
    public void becomeHandlerForConnection(JupyterConnection conn) {
        super.becomeHandlerForConnection(conn);
        this.connection = conn;
        org.flowlab.widgets.Widgets.useChannel((WidgetComms) commManager); // widgets need a front end
    }

    /** True once after a failed cell asked for the queued execute requests to be aborted (stop_on_error). */
    public boolean takeAbortRequest() {
        return abortQueued.getAndSet(false);
    }

    @Override
    protected void handleExecuteRequest(ShellReplyEnvironment env, Message<ExecuteRequest> message) {
        ExecuteRequest request = message.getContent();
        boolean silent = request.isSilent();
        boolean store = request.shouldStoreHistory() && !silent; // the protocol: silent forces store_history off
        commManager.setMessageContext(message);
        env.setBusyDeferIdle();
        if (!silent) {
            env.publish(new PublishExecuteInput(request.getCode(), store ? count.get() + 1 : count.get()));
        }
        CellRun run = executeCell(request.getCode(), new IopubOutput(connection.getIOPub(), message, silent), store);
        if (run.outcome() instanceof EvalOutcome.Failure f) {
            ErrorReply error = new ErrorReply(f.ename(), f.evalue(), f.traceback());
            error.setExecutionCount(run.count());
            env.defer().replyError(ExecuteReply.MESSAGE_TYPE.error(), error);
            if (request.shouldStopOnError() && !silent) {
                abortQueued.set(true);
            }
        } else {
            env.defer().reply(new ExecuteReply(run.count(), userExpressions(request.getUserExpr())));
        }
    }

    /** Each user expression evaluated after the cell, as text (IPython's user_expressions). */
    private Map<String, ExpressionValue> userExpressions(Map<String, String> expressions) {
        Map<String, ExpressionValue> out = new LinkedHashMap<>();
        if (expressions == null) {
            return out;
        }
        for (Map.Entry<String, String> e : expressions.entrySet()) {
            EvalOutcome o = evaluator.eval(e.getValue(), "user expression '" + e.getKey() + "'");
            if (o instanceof EvalOutcome.Success s) {
                out.put(e.getKey(), new ExpressionValue.Success(s.value().map(this::render).orElse(new DisplayData("null"))));
            } else {
                EvalOutcome.Failure f = (EvalOutcome.Failure) o;
                out.put(e.getKey(), new ExpressionValue.Error(f.ename(), f.evalue(), f.traceback()));
            }
        }
        return out;
    }

    /** As the base's, plus the {@code status: ok} that protocol 5 requires (the base leaves it out). */
    @Override
    protected void handleKernelInfoRequest(ShellReplyEnvironment env, Message<KernelInfoRequest> message) {
        env.setBusyDeferIdle();
        Map<String, Object> language = new LinkedHashMap<>();
        language.put("name", languageInfo.getName());
        language.put("version", languageInfo.getVersion());
        language.put("mimetype", languageInfo.getMimetype());
        language.put("file_extension", languageInfo.getFileExtension());
        language.put("pygments_lexer", languageInfo.getPygmentsLexer());
        language.put("codemirror_mode", languageInfo.getCodemirrorMode());
        language.put("nbconvert_exporter", languageInfo.getNbconvertExporter());
        List<Map<String, String>> links = new ArrayList<>();
        for (HelpLink l : getHelpLinks()) {
            links.add(Map.of("text", l.getText(), "url", l.getUrl()));
        }
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("status", "ok");
        content.put("protocol_version", Header.PROTOCOL_VERISON);
        content.put("implementation", NAME);
        content.put("implementation_version", version);
        content.put("language_info", language);
        content.put("banner", getBanner());
        content.put("help_links", links);
        reply(env, message, KernelInfoReply.MESSAGE_TYPE, content);
    }

    /** tail, range and search over this session's cells, with {@code status: ok} (the base leaves it out). */
    @Override
    protected void handleHistoryRequest(ShellReplyEnvironment env, Message<HistoryRequest> message) {
        env.setBusyDeferIdle();
        HistoryRequest request = message.getContent();
        Set<HistoryManager.ResultFlag> flags = EnumSet.noneOf(HistoryManager.ResultFlag.class);
        if (request.includeOutput()) {
            flags.add(HistoryManager.ResultFlag.INCLUDE_OUTPUT);
        }
        List<HistoryEntry> entries = switch (request.getAccessType()) {
            case TAIL -> history.lookupTail(((HistoryRequest.Tail) request).getMaxReturnLength(), flags);
            case RANGE -> {
                HistoryRequest.Range r = (HistoryRequest.Range) request;
                yield history.lookupRange(r.getSessionIndex(), r.getStart(), r.getStop(), flags);
            }
            case SEARCH -> {
                HistoryRequest.Search r = (HistoryRequest.Search) request;
                if (r.filterUnique()) {
                    flags.add(HistoryManager.ResultFlag.UNIQUE);
                }
                yield history.search(r.getPattern(), r.getMaxReturnLength(), flags);
            }
        };
        JsonArray list = new JsonArray();
        for (HistoryEntry e : entries) {
            JsonArray item = new JsonArray();
            item.add(e.getSession());
            item.add(e.getCellNumber());
            if (e.hasOutput()) {
                JsonArray io = new JsonArray();
                io.add(e.getInput());
                io.add(e.getOutput());
                item.add(io);
            } else {
                item.add(e.getInput());
            }
            list.add(item);
        }
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("status", "ok");
        content.put("history", list);
        reply(env, message, HistoryReply.MESSAGE_TYPE, content);
    }

    /** A reply whose content is a plain map (serialised as is). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void reply(ShellReplyEnvironment env, Message<?> request, MessageType<?> type, Map<String, Object> content) {
        env.reply(new Message(request, type, content));
    }

    @Override
    public void interrupt() {
        evaluator.stop();
    }

    @Override
    public Object evalRaw(String source) {
        EvalOutcome o = evaluator.eval(MagicSyntax.transpile(source), "eval");
        if (o instanceof EvalOutcome.Failure f) {
            throw new IllegalStateException(f.ename() + ": " + f.evalue());
        }
        return ((EvalOutcome.Success) o).value().orElse(null);
    }

    @Override
    public DisplayData inspect(String code, int at, boolean extraDetail) {
        return evaluator.inspect(code, at).map(DisplayData::new).orElse(null);
    }

    @Override
    public ReplacementOptions complete(String code, int at) {
        int lineStart = code.lastIndexOf('\n', Math.max(0, at - 1)) + 1;
        String line = code.substring(lineStart, Math.min(at, code.length()));
        String stripped = line.stripLeading();
        if (stripped.startsWith("%") && stripped.chars().skip(1).allMatch(c -> c == '%' || Character.isJavaIdentifierPart(c))) {
            boolean cell = stripped.startsWith("%%");
            String prefix = stripped.substring(cell ? 2 : 1);
            List<String> matches = new ArrayList<>();
            for (String name : new TreeSet<>(cell ? magicsRegistry.getCellMagicNames() : magicsRegistry.getLineMagicNames())) {
                if (name.startsWith(prefix)) {
                    matches.add((cell ? "%%" : "%") + name);
                }
            }
            int start = lineStart + (line.length() - stripped.length());
            return new ReplacementOptions(matches, start, at);
        }
        JShellEvaluator.Completion c = evaluator.complete(code, at);
        return new ReplacementOptions(c.matches(), c.start(), c.end());
    }

    @Override
    public String isComplete(String code) {
        if (MagicSyntax.hasMagic(code)) {
            return IS_COMPLETE_YES;
        }
        JShellEvaluator.InputStatus s = evaluator.isComplete(code);
        return switch (s.status()) {
            case "complete" -> IS_COMPLETE_YES;
            case "invalid" -> IS_COMPLETE_BAD;
            default -> s.indent();
        };
    }

    /** Runs a line magic (what {@code %name args} turns into). */
    Object runLineMagic(String name, List<String> args) throws Exception {
        try {
            return magicsRegistry.evalLineMagic(this, name, args);
        } catch (UndefinedMagicException e) {
            throw new IllegalArgumentException("unknown magic %" + name + "; known: " + known(false), e);
        }
    }

    Object runCellMagic(String name, List<String> args, String body) throws Exception {
        try {
            return magicsRegistry.evalCellMagic(this, name, args, body);
        } catch (UndefinedMagicException e) {
            throw new IllegalArgumentException("unknown cell magic %%" + name + "; known: " + known(true), e);
        }
    }

    private String known(boolean cell) {
        TreeSet<String> names = new TreeSet<>(cell ? magicsRegistry.getCellMagicNames() : magicsRegistry.getLineMagicNames());
        return names.isEmpty() ? "none" : (cell ? "%%" : "%") + String.join(cell ? ", %%" : ", %", names);
    }

    @Override
    public void onShutdown(boolean isRestarting) {
        evaluator.stop();
        try {
            super.onShutdown(isRestarting);
        } finally {
            router.uninstall();
            synchronized (FlowlabKernel.class) {
                if (current == this) {
                    current = null;
                }
            }
            evaluator.close();
        }
    }

    /** The base prints the whole stack; Flowlab's errors come preformatted from the evaluator. */
    @Override
    public List<String> formatError(Throwable e) {
        return List.of(e.getClass().getName() + ": " + e.getMessage());
    }
}
