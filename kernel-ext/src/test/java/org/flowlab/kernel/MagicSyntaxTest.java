package org.flowlab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MagicSyntaxTest {

    @Test
    void aMagicOnTheLastLineShowsItsValue() {
        String java = MagicSyntax.transpile("%seed 42\nint x = 1;\n  %flowlab\n\n");
        assertEquals("org.flowlab.kernel.Notebook.lineMagic(\"seed\", java.util.List.of(\"42\"));\n"
                + "int x = 1;\n"
                + "  org.flowlab.kernel.Notebook.lineMagic(\"flowlab\", java.util.List.of())\n\n", java);
    }

    @Test
    void cellsWithoutMagicsAreUntouched() {
        String code = "int a = 10 %\n 3;";
        assertEquals(code, MagicSyntax.transpile(code));
    }

    @Test
    void cellMagicTakesTheBody() {
        String java = MagicSyntax.transpile("%%time --n 3\nSystem.out.println(\"a\\tb\");");
        assertEquals("org.flowlab.kernel.Notebook.cellMagic(\"time\", java.util.List.of(\"--n\", \"3\"), "
                + "\"System.out.println(\\\"a\\\\tb\\\");\")", java);
    }

    @Test
    void quotedArgumentsKeepTheirBlanks() {
        assertEquals(List.of("a b", "c", "d'e"), MagicSyntax.split(" 'a b'  c \"d'e\" "));
    }

    @Test
    void badMagicLinesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MagicSyntax.transpile("1;\n%   "));
        assertTrue(e.getMessage().contains("line 2 needs a magic name"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MagicSyntax.transpile("%seed '42"));
        assertTrue(e.getMessage().contains("unclosed '"), e.getMessage());
    }
}
