package org.flowlab.viz;

import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One picture of an object in several formats, keyed by MIME type, as Jupyter's {@code display_data} wants it.
 * Values are text ({@link String}) or, for {@code image/png}, raw PNG bytes; {@code text/plain} is always there,
 * so every frontend (a terminal, nbconvert, a browser) shows something. Immutable: {@link #with} returns a copy.
 *
 * <p>No Jupyter types: the kernel extension copies a bundle into the kernel's display data (base64 for bytes).
 */
public final class MimeBundle {
    public static final String TEXT_PLAIN = "text/plain";
    public static final String TEXT_HTML = "text/html";
    public static final String IMAGE_PNG = "image/png";
    /** JupyterLab draws this natively (no internet, no require.js); other frontends fall back to the PNG. */
    public static final String VEGA_LITE = "application/vnd.vegalite.v5+json";

    private final Map<String, Object> data;

    private MimeBundle(Map<String, Object> data) {
        this.data = Collections.unmodifiableMap(data);
    }

    /** A bundle with only its {@code text/plain} form. */
    public static MimeBundle text(String plain) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put(TEXT_PLAIN, requireText(plain, TEXT_PLAIN));
        return new MimeBundle(d);
    }

    /** A copy with {@code mime} set to the text {@code value} (replacing any earlier value). */
    public MimeBundle with(String mime, String value) {
        checkMime(mime);
        if (IMAGE_PNG.equals(mime)) {
            throw new IllegalArgumentException("image/png takes PNG bytes, not text; use withPng(bytes)");
        }
        Map<String, Object> d = new LinkedHashMap<>(data);
        d.put(mime, requireText(value, mime));
        return new MimeBundle(d);
    }

    /** A copy carrying this PNG image (the bytes are copied; they must start with the PNG signature). */
    public MimeBundle withPng(byte[] png) {
        if (png == null || png.length < 8 || (png[0] & 0xff) != 0x89 || png[1] != 'P' || png[2] != 'N' || png[3] != 'G') {
            throw new IllegalArgumentException("image/png needs PNG bytes (signature 0x89 'PNG'); got "
                    + (png == null ? "null" : png.length + " bytes"));
        }
        Map<String, Object> d = new LinkedHashMap<>(data);
        d.put(IMAGE_PNG, png.clone());
        return new MimeBundle(d);
    }

    /** A copy with every entry of {@code other} added; {@code other} wins where both have a type. */
    public MimeBundle merge(MimeBundle other) {
        Map<String, Object> d = new LinkedHashMap<>(data);
        d.putAll(other.data);
        return new MimeBundle(d);
    }

    /** The MIME types present, in insertion order ({@code text/plain} first). */
    public Set<String> mimeTypes() {
        return data.keySet();
    }

    public boolean has(String mime) {
        return data.containsKey(mime);
    }

    public String text() {
        return (String) data.get(TEXT_PLAIN);
    }

    public Optional<String> html() {
        return Optional.ofNullable((String) data.get(TEXT_HTML));
    }

    /** The PNG bytes (a copy), if the bundle has a picture. */
    public Optional<byte[]> png() {
        byte[] png = (byte[]) data.get(IMAGE_PNG);
        return Optional.ofNullable(png == null ? null : png.clone());
    }

    /** The text of {@code mime}, or empty when absent; PNG bytes come back base64-encoded, as Jupyter sends them. */
    public Optional<String> textOf(String mime) {
        Object v = data.get(mime);
        if (v instanceof byte[] bytes) {
            return Optional.of(Base64.getEncoder().encodeToString(bytes));
        }
        return Optional.ofNullable((String) v);
    }

    /** Every entry as Jupyter's JSON would carry it: text as is, bytes as base64. */
    public Map<String, String> toJupyterData() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String mime : data.keySet()) {
            out.put(mime, textOf(mime).orElseThrow());
        }
        return out;
    }

    private static String requireText(String value, String mime) {
        if (value == null) {
            throw new IllegalArgumentException(mime + " needs a value, got null");
        }
        return value;
    }

    private static void checkMime(String mime) {
        if (mime == null || mime.indexOf('/') <= 0) {
            throw new IllegalArgumentException("'" + mime + "' is not a MIME type like text/html");
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof MimeBundle b) || !b.data.keySet().equals(data.keySet())) {
            return false;
        }
        for (Map.Entry<String, Object> e : data.entrySet()) {
            Object other = b.data.get(e.getKey());
            boolean same = e.getValue() instanceof byte[] x && other instanceof byte[] y ? Arrays.equals(x, y)
                    : e.getValue().equals(other);
            if (!same) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return data.keySet().hashCode() * 31 + text().hashCode();
    }

    /** {@code "MimeBundle[text/plain, image/png 12.3 kB]"}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("MimeBundle[");
        String sep = "";
        for (Map.Entry<String, Object> e : data.entrySet()) {
            sb.append(sep).append(e.getKey());
            if (e.getValue() instanceof byte[] b) {
                sb.append(String.format(java.util.Locale.ROOT, " %.1f kB", b.length / 1000.0));
            }
            sep = ", ";
        }
        return sb.append(']').toString();
    }
}
