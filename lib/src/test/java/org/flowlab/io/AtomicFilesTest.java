package org.flowlab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    /** A result file is readable like any file the user makes there (the umask decides), not owner-only. */
    @Test
    void writtenFilesGetTheUsualPermissionsAndNoTempIsLeft(@TempDir Path dir) throws IOException {
        Path plain = Files.createFile(dir.resolve("plain.bin"));
        Path target = dir.resolve("result.bin");
        AtomicFiles.write(target, new byte[] {1, 2, 3});
        AtomicFiles.write(target, new byte[] {4, 5}); // replaces
        assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(target));
        Set<PosixFilePermission> expected = Files.getPosixFilePermissions(plain);
        assertEquals(expected, Files.getPosixFilePermissions(target));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "only plain.bin and result.bin");
        }
    }
}
