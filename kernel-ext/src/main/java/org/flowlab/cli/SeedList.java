package org.flowlab.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** {@code --seeds 0-15} or {@code 0,3,7-9}. */
final class SeedList implements CommandLine.ITypeConverter<SeedList.Seeds> {

    /** The parsed seeds (a wrapper: picocli treats a bare long[] option as repeatable longs). */
    record Seeds(long[] values) {
        static Seeds of(long... v) {
            return new Seeds(v);
        }
    }

    @Override
    public Seeds convert(String value) {
        List<Long> out = new ArrayList<>();
        for (String part : value.split(",")) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-', 1);
                if (dash > 0) {
                    long from = Long.parseLong(p.substring(0, dash).trim());
                    long to = Long.parseLong(p.substring(dash + 1).trim());
                    if (to < from || to - from > 100_000) {
                        throw new CommandLine.TypeConversionException("seed range '" + p + "' is empty or too long");
                    }
                    for (long s = from; s <= to; s++) {
                        out.add(s);
                    }
                } else {
                    out.add(Long.parseLong(p));
                }
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + p + "' in --seeds '" + value
                        + "' is not a seed or a range like 0-15");
            }
        }
        return new Seeds(out.stream().mapToLong(Long::longValue).toArray());
    }
}
