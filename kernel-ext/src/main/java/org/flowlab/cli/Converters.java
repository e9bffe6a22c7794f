package org.flowlab.cli;

import org.flowlab.schedule.SchedulePreset;
import picocli.CommandLine;

/** Option converters whose errors name the bad value and what is allowed. */
final class Converters {
    private Converters() {
    }

    /** {@code WxH}, e.g. {@code 1024x768}. */
    record Size(int width, int height) {
        @Override
        public String toString() {
            return width + "x" + height;
        }
    }

    static final class SizeConverter implements CommandLine.ITypeConverter<Size> {
        @Override
        public Size convert(String value) {
            String[] parts = value.toLowerCase(java.util.Locale.ROOT).split("x");
            try {
                if (parts.length == 2) {
                    return new Size(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
                }
            } catch (NumberFormatException ignored) {
                // falls through to the message below
            }
            throw new CommandLine.TypeConversionException("size '" + value + "' is not WIDTHxHEIGHT, e.g. 1024x1024");
        }
    }

    static final class PresetConverter implements CommandLine.ITypeConverter<SchedulePreset> {
        @Override
        public SchedulePreset convert(String value) {
            try {
                return SchedulePreset.fromId(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
