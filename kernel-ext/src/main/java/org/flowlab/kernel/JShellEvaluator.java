package org.flowlab.kernel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.Completeness;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

/**
 * Java cells on JShell, in process. A cell may hold several snippets (declarations, statements, a final
 * expression); they run in order until one fails. The last expression's value comes back as the live object.
 * Errors come back as lines a person reads: the offending span and the unresolved names for compile errors, the
 * stack trimmed to the user's own frames (cell and line) for runtime errors.
 *
 * <p>Not thread-safe: one thread evaluates, completes and inspects; any thread may {@link #stop()}.
 */
public final class JShellEvaluator implements AutoCloseable {
    static final String INTERRUPTED = "Interrupted";
    private static final Pattern SYMBOL = Pattern.compile("symbol:\\s+(\\S+ \\S+?)(?:\\(.*)?$", Pattern.MULTILINE);

    private final JShell jshell;
    private final SourceCodeAnalysis analysis;
    private final FlowlabExecutionControl control;
    /** Snippet id -> where it sits: cell label and the cell line of the snippet's first line. */
    private final Map<String, Place> places = new ConcurrentHashMap<>();
    private volatile boolean stopRequested;

    private record Place(String cell, int firstLine) {
    }

    /**
     * @param classpath what cells compile against (the kernel's own launch classpath: same classes, same identity)
     * @param beforeEachSnippet runs on the execution thread before each snippet
     */
    public JShellEvaluator(String classpath, Runnable beforeEachSnippet) {
        this.control = new FlowlabExecutionControl(beforeEachSnippet);
        ExecutionControlProvider provider = new ExecutionControlProvider() {
            @Override
            public String name() {
                return "flowlab";
            }

            @Override
            public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
                return control;
            }
        };
        this.jshell = JShell.builder()
                .executionEngine(provider, Map.of())
                .compilerOptions("-Xlint:-options")
                .build();
        if (classpath != null && !classpath.isBlank()) {
            jshell.addToClasspath(classpath);
        }
        this.analysis = jshell.sourceCodeAnalysis();
    }

    /** Runs {@code import X;} for each entry, e.g. {@code org.flowlab.schedule.*} or {@code static a.B.*}. */
    public void importAll(Collection<String> imports) {
        for (String imp : imports) {
            for (SnippetEvent e : jshell.eval("import " + imp + ";")) {
                if (e.status() == Snippet.Status.REJECTED) {
                    throw new IllegalStateException("import " + imp + " failed: " + diagnostics(e.snippet()));
                }
            }
        }
    }

    /** Whether the hard stop of tight loops is available on this JDK, and how. */
    public static String stopMechanism() {
        if (FlowlabExecutionControl.INSTRUMENTED_STOP) {
            return "JShell stop checks in snippet code (JDK " + Runtime.version().feature() + ")";
        }
        return "Thread.stop on the execution thread (JDK " + Runtime.version().feature() + ")";
    }

    /**
     * Runs a cell.
     *
     * @param code the cell's Java source
     * @param cell the cell's label in messages, e.g. {@code In[3]}
     */
    public EvalOutcome eval(String code, String cell) {
        stopRequested = false;
        control.beginCell();
        String remaining = code;
        int consumed = 0;
        Optional<Object> lastValue = Optional.empty();
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (info.completeness() == Completeness.EMPTY) {
                break;
            }
            boolean complete = info.completeness().isComplete() || info.completeness() == Completeness.UNKNOWN;
            String source = complete && info.source() != null ? info.source() : remaining;
            int startLine = lineOf(code, consumed);
            control.clearOutcome();
            List<SnippetEvent> events = jshell.eval(source);
            SnippetEvent main = primary(events);
            if (main == null) {
                return new EvalOutcome.Failure("CompileError", "could not parse the cell",
                        List.of("JShell could not read this code in " + cell + " line " + startLine));
            }
            places.put(main.snippet().id(), new Place(cell, startLine));
            Optional<EvalOutcome.Failure> failure = failureOf(main, code, consumed, cell, startLine);
            if (failure.isPresent()) {
                return failure.get();
            }
            warnUnresolved(main);
            boolean last = !complete || info.remaining().isBlank();
            Optional<Object> v = control.takeValue();
            lastValue = last && shows(main.snippet()) ? v : Optional.empty();
            if (!complete) {
                break;
            }
            consumed += remaining.length() - info.remaining().length();
            remaining = info.remaining();
        }
        return new EvalOutcome.Success(lastValue);
    }

    /** The event of the snippet itself (others are dependents JShell re-checked). */
    private static SnippetEvent primary(List<SnippetEvent> events) {
        for (SnippetEvent e : events) {
            if (e.causeSnippet() == null) {
                return e;
            }
        }
        return null;
    }

    /** A trailing expression shows its value; declarations and assignments do not (as in IPython). */
    private static boolean shows(Snippet s) {
        return switch (s.subKind()) {
            case TEMP_VAR_EXPRESSION_SUBKIND, VAR_VALUE_SUBKIND, OTHER_EXPRESSION_SUBKIND -> true;
            default -> false;
        };
    }

    private Optional<EvalOutcome.Failure> failureOf(SnippetEvent e, String code, int offset, String cell, int startLine) {
        if (control.lastSnippetStopped() || (stopRequested && isInterruption(e.exception()))) {
            return Optional.of(interrupted(cell, e.exception()));
        }
        if (e.status() == Snippet.Status.REJECTED) {
            return Optional.of(compileError(e.snippet(), code, offset, cell));
        }
        JShellException ex = e.exception();
        if (ex instanceof UnresolvedReferenceException ure) {
            DeclarationSnippet d = ure.getSnippet();
            String deps = jshell.unresolvedDependencies(d).collect(Collectors.joining(", "));
            String msg = describe(d) + " cannot run until " + deps + " is declared";
            return Optional.of(new EvalOutcome.Failure("UnresolvedReference", msg, List.of(msg + " (" + cell + ")")));
        }
        if (ex != null) {
            return Optional.of(runtimeError(ex));
        }
        return Optional.empty();
    }

    private static boolean isInterruption(JShellException ex) {
        if (!(ex instanceof EvalException ee)) {
            return false;
        }
        String c = ee.getExceptionClassName();
        return c.equals("java.lang.InterruptedException") || c.endsWith("Interruption$RunInterruptedException")
                || c.equals("java.lang.ThreadDeath") || c.equals("java.util.concurrent.CancellationException");
    }

    private EvalOutcome.Failure interrupted(String cell, JShellException ex) {
        List<String> tb = new ArrayList<>();
        tb.add("Interrupted: " + cell + " was stopped by a kernel interrupt");
        if (ex != null) {
            tb.addAll(runtimeError(ex).traceback());
        }
        return new EvalOutcome.Failure(INTERRUPTED, cell + " was interrupted", tb);
    }

    private EvalOutcome.Failure compileError(Snippet s, String code, int offset, String cell) {
        List<Diag> diags = jshell.diagnostics(s).filter(Diag::isError).collect(Collectors.toList());
        if (diags.isEmpty()) {
            diags = jshell.diagnostics(s).collect(Collectors.toList());
        }
        List<String> tb = new ArrayList<>();
        Set<String> unresolved = new LinkedHashSet<>();
        String first = null;
        for (Diag d : diags) {
            String msg = d.getMessage(Locale.ROOT);
            if (first == null) {
                first = msg.lines().findFirst().orElse(msg);
            }
            int start = (int) Math.max(0, d.getStartPosition());
            int end = (int) Math.max(start + 1, d.getEndPosition());
            int absStart = Math.min(code.length(), offset + start);
            int absEnd = Math.min(code.length(), offset + end);
            int line = lineOf(code, absStart);
            int lineStart = code.lastIndexOf('\n', absStart - 1) + 1;
            int lineEnd = code.indexOf('\n', absStart);
            String text = code.substring(lineStart, lineEnd < 0 ? code.length() : lineEnd);
            tb.add("Compile error in " + cell + ", line " + line + ":");
            tb.add("    " + text);
            int caretEnd = Math.min(absEnd, lineEnd < 0 ? code.length() : lineEnd);
            tb.add("    " + " ".repeat(Math.max(0, absStart - lineStart)) + "^".repeat(Math.max(1, caretEnd - absStart)));
            msg.lines().forEach(tb::add);
            Matcher m = SYMBOL.matcher(msg);
            while (m.find()) {
                unresolved.add(m.group(1));
            }
        }
        if (s instanceof DeclarationSnippet ds) {
            jshell.unresolvedDependencies(ds).forEach(unresolved::add);
        }
        String evalue = first == null ? "the cell does not compile" : first;
        if (!unresolved.isEmpty()) {
            evalue += ": " + String.join(", ", unresolved);
            tb.add("unresolved: " + String.join(", ", unresolved));
        }
        return new EvalOutcome.Failure("CompileError", evalue, tb);
    }

    private EvalOutcome.Failure runtimeError(JShellException ex) {
        List<String> tb = new ArrayList<>();
        String ename = "Exception";
        String evalue = String.valueOf(ex.getMessage());
        boolean firstLevel = true;
        for (Throwable t = ex; t != null; t = t.getCause()) {
            String cls = t instanceof EvalException ee ? ee.getExceptionClassName() : t.getClass().getName();
            String msg = t.getMessage();
            if (firstLevel) {
                ename = cls.substring(cls.lastIndexOf('.') + 1);
                evalue = msg == null ? "" : msg;
            }
            tb.add((firstLevel ? "" : "Caused by: ") + cls + (msg == null ? "" : ": " + msg));
            for (StackTraceElement f : t.getStackTrace()) {
                String where = frame(f);
                if (where != null) {
                    tb.add("    at " + where);
                }
            }
            firstLevel = false;
        }
        return new EvalOutcome.Failure(ename, evalue, tb);
    }

    /** A stack frame in the user's terms: snippet frames name the cell and line; plumbing is left out. */
    private String frame(StackTraceElement f) {
        String file = f.getFileName();
        if (file != null && file.startsWith("#")) {
            Place p = places.get(file.substring(1));
            String method = f.getMethodName() == null || f.getMethodName().isEmpty() ? "" : f.getMethodName() + " ";
            if (p == null) {
                return method + "(snippet " + file + ")";
            }
            return method + "(" + p.cell() + " line " + (p.firstLine() + Math.max(1, f.getLineNumber()) - 1) + ")";
        }
        String c = f.getClassName();
        if (c.startsWith("jdk.jshell.") || c.startsWith("jdk.internal.reflect.") || c.startsWith("java.lang.reflect.")
                || c.startsWith("org.flowlab.kernel.")) {
            return null;
        }
        return f.toString();
    }

    private String describe(DeclarationSnippet d) {
        return d.kind().name().toLowerCase(Locale.ROOT) + " " + d.name();
    }

    private void warnUnresolved(SnippetEvent e) {
        if (e.snippet() instanceof DeclarationSnippet d && (e.status() == Snippet.Status.RECOVERABLE_DEFINED
                || e.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED)) {
            String deps = jshell.unresolvedDependencies(d).collect(Collectors.joining(", "));
            System.err.println("note: " + describe(d) + (e.status() == Snippet.Status.RECOVERABLE_DEFINED
                    ? " was created, but cannot be used until " : " was not created: it needs ") + deps);
        }
    }

    private String diagnostics(Snippet s) {
        return jshell.diagnostics(s).map(d -> d.getMessage(Locale.ROOT)).collect(Collectors.joining("; "));
    }

    static int lineOf(String code, int offset) {
        int line = 1;
        int end = Math.min(offset, code.length());
        for (int i = 0; i < end; i++) {
            if (code.charAt(i) == '\n') {
                line++;
            }
        }
        // a snippet's leading blank lines belong to it: report the line where its code starts
        int i = end;
        while (i < code.length() && Character.isWhitespace(code.charAt(i))) {
            if (code.charAt(i) == '\n') {
                line++;
            }
            i++;
        }
        return line;
    }

    /** Stops the running cell (see {@link FlowlabExecutionControl}); returns at once. */
    public void stop() {
        stopRequested = true;
        jshell.stop();
    }

    /** Completion candidates at {@code cursor}: start and end of the text they replace, and the texts. */
    public record Completion(List<String> matches, int start, int end) {
    }

    public Completion complete(String code, int cursor) {
        int[] bounds = snippetAround(code, cursor);
        String snippet = code.substring(bounds[0], bounds[1]);
        int local = cursor - bounds[0];
        int[] anchor = new int[1];
        List<SourceCodeAnalysis.Suggestion> suggestions = analysis.completionSuggestions(snippet, local, anchor);
        Set<String> matches = new LinkedHashSet<>();
        suggestions.stream().filter(SourceCodeAnalysis.Suggestion::matchesType).forEach(s -> matches.add(s.continuation()));
        suggestions.forEach(s -> matches.add(s.continuation()));
        return new Completion(new ArrayList<>(matches), bounds[0] + anchor[0], cursor);
    }

    /** Signatures (and javadoc where the JDK has sources) of what is at the cursor, or a variable's type and value. */
    public Optional<String> inspect(String code, int cursor) {
        int[] bounds = snippetAround(code, cursor);
        String snippet = code.substring(bounds[0], bounds[1]);
        int local = cursor - bounds[0];
        List<SourceCodeAnalysis.Documentation> docs = analysis.documentation(snippet, local, true);
        boolean onName = local < snippet.length() ? snippet.charAt(local) != '('
                : local > 0 && Character.isJavaIdentifierPart(snippet.charAt(local - 1)); // at the end: "Math.max|"
        if (docs.isEmpty() && onName) {
            // cursor on (or just after) a name: look it up as if the call were being typed
            int end = local;
            while (end < snippet.length() && Character.isJavaIdentifierPart(snippet.charAt(end))) {
                end++;
            }
            docs = analysis.documentation(snippet.substring(0, end) + "(", end + 1, true);
        }
        if (!docs.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            for (SourceCodeAnalysis.Documentation d : docs) {
                sb.append(d.signature()).append('\n');
                if (d.javadoc() != null && !d.javadoc().isBlank()) {
                    sb.append('\n').append(d.javadoc().strip()).append("\n\n");
                }
            }
            return Optional.of(sb.toString().strip());
        }
        String name = identifierAt(snippet, local);
        if (name.isEmpty()) {
            return Optional.empty();
        }
        return jshell.variables().filter(v -> v.name().equals(name) && jshell.status(v).isActive()).findFirst()
                .map(v -> v.typeName() + " " + v.name() + " = " + jshell.varValue(v));
    }

    private static String identifierAt(String s, int pos) {
        int start = Math.min(pos, s.length());
        while (start > 0 && Character.isJavaIdentifierPart(s.charAt(start - 1))) {
            start--;
        }
        int end = Math.min(pos, s.length());
        while (end < s.length() && Character.isJavaIdentifierPart(s.charAt(end))) {
            end++;
        }
        return s.substring(start, end);
    }

    /** [start, end) of the snippet of {@code code} that holds {@code cursor}. */
    private int[] snippetAround(String code, int cursor) {
        int pos = Math.max(0, Math.min(cursor, code.length()));
        int start = 0;
        String remaining = code;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (!info.completeness().isComplete()) {
                break;
            }
            int used = remaining.length() - info.remaining().length();
            if (start + used >= pos) {
                return new int[] {start, start + used};
            }
            start += used;
            remaining = info.remaining();
        }
        return new int[] {start, code.length()};
    }

    /** Jupyter's is_complete: "complete", "incomplete" (with the indent to continue), or "invalid". */
    public record InputStatus(String status, String indent) {
    }

    public InputStatus isComplete(String code) {
        String remaining = code;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            switch (info.completeness()) {
                case COMPLETE, COMPLETE_WITH_SEMI -> remaining = info.remaining();
                case EMPTY -> remaining = "";
                case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> {
                    return new InputStatus("incomplete", indentAfter(code));
                }
                default -> {
                    return new InputStatus("invalid", "");
                }
            }
        }
        return new InputStatus("complete", "");
    }

    /** The last line's indent, one level deeper after an opening brace. */
    private static String indentAfter(String code) {
        String last = code.substring(code.lastIndexOf('\n') + 1);
        String indent = last.substring(0, last.length() - last.stripLeading().length());
        return last.strip().endsWith("{") ? indent + "    " : indent;
    }

    /** The names the cells declared so far (variables, methods, types), for a quick look. */
    public Map<String, String> variables() {
        Map<String, String> out = new LinkedHashMap<>();
        jshell.variables().filter(v -> jshell.status(v).isActive()).forEach((VarSnippet v) -> out.put(v.name(), v.typeName()));
        return out;
    }

    @Override
    public void close() {
        jshell.close();
    }
}
