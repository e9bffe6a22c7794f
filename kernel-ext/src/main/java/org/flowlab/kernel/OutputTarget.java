package org.flowlab.kernel;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * One cell's output as seen by code: buffered stdout/stderr (sent in chunks, not one message per byte) and
 * display calls, which first flush the streams so the order a person sees is the order the code wrote in.
 * Thread-safe; stays usable after the cell finished, for threads the cell started.
 */
public final class OutputTarget {
    private static final int MAX_BUFFER = 16 * 1024;

    private final CellOutput output;
    private final String label;
    private final Stream out = new Stream("stdout");
    private final Stream err = new Stream("stderr");
    /** Whether the router's periodic flush knows this target (see OutputRouter). */
    volatile boolean registered;
    volatile long lastWriteNanos = System.nanoTime();

    OutputTarget(CellOutput output, String label) {
        this.output = output;
        this.label = label;
    }

    public String label() {
        return label;
    }

    CellOutput output() {
        return output;
    }

    void write(boolean stderr, byte[] b, int off, int len) {
        lastWriteNanos = System.nanoTime();
        Stream s = stderr ? err : out;
        boolean full;
        synchronized (this) {
            full = s.append(b, off, len) > MAX_BUFFER;
        }
        if (full) {
            flush();
        }
    }

    synchronized boolean pending() {
        return out.text.length() > 0 || err.text.length() > 0 || out.pending.position() > 0
                || err.pending.position() > 0;
    }

    /** Sends what the streams hold. */
    public void flush() {
        String o;
        String e;
        synchronized (this) {
            o = out.drain();
            e = err.drain();
        }
        // stdout first: a program that prints and then fails reads top to bottom
        if (!o.isEmpty()) {
            output.stream("stdout", o);
        }
        if (!e.isEmpty()) {
            output.stream("stderr", e);
        }
    }

    public void display(DisplayData data) {
        flush();
        output.display(data);
    }

    public void updateDisplay(DisplayData data) {
        flush();
        output.updateDisplay(data);
    }

    public void clearOutput(boolean wait) {
        flush();
        output.clearOutput(wait);
    }

    void executeResult(int count, DisplayData data) {
        flush();
        output.executeResult(count, data);
    }

    void error(String ename, String evalue, List<String> traceback) {
        flush();
        output.error(ename, evalue, traceback);
    }

    /** Bytes in, whole characters out: a UTF-8 sequence split across writes is kept until it completes. */
    private static final class Stream {
        final String name;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        ByteBuffer pending = ByteBuffer.allocate(256);
        final StringBuilder text = new StringBuilder();

        Stream(String name) {
            this.name = name;
        }

        int append(byte[] b, int off, int len) {
            if (pending.remaining() < len) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + len));
                pending.flip();
                bigger.put(pending);
                pending = bigger;
            }
            pending.put(b, off, len);
            pending.flip();
            CharBuffer chars = CharBuffer.allocate(pending.remaining() + 1);
            decoder.decode(pending, chars, false);
            chars.flip();
            text.append(chars);
            pending.compact();
            return text.length();
        }

        String drain() {
            String s = text.toString();
            text.setLength(0);
            return s;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
