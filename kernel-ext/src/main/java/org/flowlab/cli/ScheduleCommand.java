package org.flowlab.cli;

import com.google.gson.GsonBuilder;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flowlab.schedule.GlanceLists;
import org.flowlab.schedule.Schedule;
import org.flowlab.schedule.SchedulePreset;
import org.flowlab.schedule.ScheduleRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code flowlab schedule}: the sigmas a model's pipeline would use, and Glance lists derived from them. */
@Command(name = "schedule", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print an inference schedule exactly as diffusers computes it (and, with --glance, the Glance"
                + " timestep lists derived from it).")
final class ScheduleCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--preset", required = true, converter = Converters.PresetConverter.class,
            description = "flux-dev, qwen-image, sd3 or linear")
    SchedulePreset preset;

    @Option(names = "--steps", description = "inference steps (ignored with --sigmas/--timesteps)")
    int steps = -1;

    @Option(names = "--size", converter = Converters.SizeConverter.class,
            description = "WIDTHxHEIGHT, multiples of 16; sets mu for flux-dev and qwen-image")
    Converters.Size size;

    @Option(names = "--shift", description = "use this static shift instead of the preset's shift rule")
    Double shift;

    @Option(names = "--mu", description = "dynamic-shift mu instead of the size-derived one")
    Double mu;

    @Option(names = "--shift-terminal", description = "stretch so the last sigma before 0 is this value")
    Double shiftTerminal;

    @Option(names = "--sigmas", split = ",",
            description = "custom sigmas a,b,.. (still shifted by the scheduler, as in diffusers)")
    double[] sigmas;

    @Option(names = "--timesteps", split = ",",
            description = "custom timesteps a,b,.. (x1000; still shifted)")
    double[] timesteps;

    @Option(names = "--glance", description = "also derive the Glance slow/fast timestep lists")
    boolean glance;

    @Option(names = "--base-steps", description = "steps of the base schedule the Glance positions index (default: ${DEFAULT-VALUE})")
    int baseSteps = GlanceLists.DEFAULT_BASE_STEPS;

    @Option(names = "--slow-positions", split = ",",
            description = "Glance slow positions (default 0,2,4,6,8)")
    int[] slowPositions = GlanceLists.DEFAULT_SLOW_POSITIONS;

    @Option(names = "--fast-positions", split = ",",
            description = "Glance fast positions (default 10,20,30,40,49)")
    int[] fastPositions = GlanceLists.DEFAULT_FAST_POSITIONS;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Override
    public Integer call() {
        if (sigmas != null && timesteps != null) {
            throw new IllegalArgumentException("give --sigmas or --timesteps, not both");
        }
        if (sigmas == null && timesteps == null && steps < 1) {
            throw new IllegalArgumentException(steps == -1 ? "--steps is required (1 or more) unless --sigmas or"
                    + " --timesteps is given" : "--steps " + steps + " is not allowed; use 1 or more");
        }
        Schedule schedule = request(steps).build();
        GlanceLists lists = null;
        if (glance) {
            if (baseSteps < 1) {
                throw new IllegalArgumentException("--base-steps " + baseSteps + " is not allowed; use 1 or more");
            }
            Schedule base = sigmas == null && timesteps == null && baseSteps == steps ? schedule : baseRequest().build();
            lists = GlanceLists.derive(base, slowPositions, fastPositions);
        }

        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(schedule, lists));
        } else {
            out.print(schedule);
            if (lists != null) {
                out.println();
                out.println(lists);
            }
        }
        out.flush();
        return 0;
    }

    private ScheduleRequest baseRequest() {
        ScheduleRequest r = preset.request().steps(baseSteps);
        applyOverrides(r);
        return r;
    }

    private ScheduleRequest request(int n) {
        ScheduleRequest r = preset.request().steps(n);
        applyOverrides(r);
        if (sigmas != null) {
            r.sigmas(sigmas);
        }
        if (timesteps != null) {
            r.timesteps(timesteps);
        }
        return r;
    }

    private void applyOverrides(ScheduleRequest r) {
        if (size != null) {
            r.size(size.width(), size.height());
        }
        if (shift != null) {
            r.shift(shift);
        }
        if (mu != null) {
            r.mu(mu);
        }
        if (shiftTerminal != null) {
            r.shiftTerminal(shiftTerminal);
        }
    }

    private String toJson(Schedule schedule, GlanceLists lists) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("preset", preset.id());
        o.put("label", schedule.label());
        if (size != null) {
            o.put("size", size.toString().toLowerCase(Locale.ROOT));
        }
        o.put("steps", schedule.steps());
        o.put("sigmas", schedule.sigmas());
        o.put("timesteps", schedule.timesteps());
        schedule.mu().ifPresent(m -> o.put("mu", m));
        if (lists != null) {
            o.put("base_steps", lists.base().steps());
            o.put("slow", lists.slow());
            o.put("fast", lists.fast());
        }
        return new GsonBuilder().setPrettyPrinting().create().toJson(o);
    }
}
