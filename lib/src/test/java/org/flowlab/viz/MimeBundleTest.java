package org.flowlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class MimeBundleTest {

    @Test
    void textPlainAlwaysComesFirst() {
        MimeBundle b = MimeBundle.text("hi").with(MimeBundle.TEXT_HTML, "<b>hi</b>");
        assertEquals(List.of("text/plain", "text/html"), List.copyOf(b.mimeTypes()));
        assertEquals("hi", b.text());
        assertEquals("<b>hi</b>", b.html().orElseThrow());
    }

    @Test
    void pngIsCopiedAndSentAsBase64() {
        byte[] png = Png.encode(new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB));
        MimeBundle b = MimeBundle.text("img").withPng(png);
        png[20] ^= 1; // the caller's array is not the bundle's
        byte[] inside = b.png().orElseThrow();
        assertFalse(java.util.Arrays.equals(png, inside));
        inside[20] ^= 1;
        assertFalse(java.util.Arrays.equals(inside, b.png().orElseThrow()), "png() hands out copies");
        assertEquals(Base64.getEncoder().encodeToString(b.png().orElseThrow()), b.toJupyterData().get("image/png"));
    }

    @Test
    void badInputIsNamed() {
        MimeBundle b = MimeBundle.text("x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.withPng(new byte[] {1, 2, 3}));
        assertTrue(e.getMessage().contains("3 bytes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.with("html", "<p>"));
        assertTrue(e.getMessage().contains("'html'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.with(MimeBundle.IMAGE_PNG, "iVBOR..."));
    }

    @Test
    void mergeLetsTheOtherWin() {
        MimeBundle a = MimeBundle.text("a").with(MimeBundle.TEXT_HTML, "<a>");
        MimeBundle m = a.merge(MimeBundle.text("b"));
        assertEquals("b", m.text());
        assertEquals("<a>", m.html().orElseThrow());
        assertEquals("a", a.text(), "immutable");
    }
}
