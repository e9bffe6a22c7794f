package org.flowlab.ext;

import com.google.gson.JsonParser;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.RenderContext;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.flowlab.viz.MimeBundle;

/** lib's MIME bundles into the base library's display data. */
final class ExtensionSupport {
    private ExtensionSupport() {
    }

    static DisplayData toDisplayData(MimeBundle bundle) {
        DisplayData d = new DisplayData();
        bundle.toJupyterData().forEach((mime, value) -> d.putData(mime, jupyterValue(mime, value)));
        return d;
    }

    /** Writes the bundle's types that the request asks for (all of them for a plain render). */
    static void fill(MimeBundle bundle, RenderContext ctx) {
        DisplayData out = ctx.getOutputContainer();
        bundle.toJupyterData().forEach((mime, value) -> {
            if (ctx.wantsDataRenderedAs(MIMEType.parse(mime))) {
                out.putData(mime, jupyterValue(mime, value));
            }
        });
    }

    /** JSON MIME types travel as JSON objects, not as strings (nbformat and the frontends expect that). */
    private static Object jupyterValue(String mime, String value) {
        if (mime.endsWith("+json") || mime.equals("application/json")) {
            return JsonParser.parseString(value);
        }
        return value;
    }
}
