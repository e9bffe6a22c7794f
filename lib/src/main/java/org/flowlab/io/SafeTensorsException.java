package org.flowlab.io;

import java.nio.file.Path;

/** A safetensors file that cannot be read as it is; the message names the file and what is wrong. */
public final class SafeTensorsException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SafeTensorsException(Path file, String problem) {
        super((file == null ? "safetensors data" : file.toString()) + ": " + problem);
    }
}
