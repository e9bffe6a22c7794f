package org.flowlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Docker does not run here, so the files under docker/ are checked for what they name: every {@code ./flowlab}
 * command parses with the CLI, every Maven profile is in the pom, every file, Dockerfile and host folder exists.
 */
class DockerFilesTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path DOCKER = ROOT.resolve("docker");

    @Test
    void everyFlowlabCommandInTheDockerfilesParses() throws Exception {
        List<List<String>> commands = new ArrayList<>();
        for (String name : List.of("Dockerfile", "Dockerfile.cuda")) {
            String text = Files.readString(DOCKER.resolve(name));
            for (String line : text.lines().toList()) {
                String l = line.strip();
                if (l.startsWith("CMD [")) {
                    commands.add(JsonParser.parseString(l.substring(4)).getAsJsonArray().asList().stream()
                            .map(e -> e.getAsString()).toList());
                } else if (l.startsWith("RUN ") || l.startsWith("#")) {
                    for (String part : l.split("&&")) {
                        Matcher m = Pattern.compile("\\./flowlab( [^&|;#]*)?").matcher(part);
                        if (m.find()) {
                            commands.add(new ArrayList<>(Arrays.asList(m.group().strip().split("\\s+"))));
                        }
                    }
                }
                Matcher profile = Pattern.compile("-P(\\w+)").matcher(l);
                while (l.startsWith("RUN") && profile.find()) {
                    assertTrue(Files.readString(ROOT.resolve("pom.xml")).contains("<id>" + profile.group(1) + "</id>"),
                            name + " builds with profile " + profile.group(1) + ", which pom.xml lacks");
                }
                if (l.startsWith("COPY ")) {
                    String source = l.split("\\s+")[1];
                    assertTrue(Files.exists(ROOT.resolve(source)), name + " copies " + source + ", which is missing");
                }
            }
        }
        assertTrue(commands.size() >= 4, "the Dockerfiles build, install the kernel and start the lab: " + commands);
        for (List<String> c : commands) {
            assertEquals("./flowlab", c.get(0), c.toString());
            var args = c.subList(1, c.size()).toArray(String[]::new);
            FlowlabCli.commandLine().parseArgs(args); // throws on an unknown command or option
        }
    }

    @Test
    void theComposeFileNamesExistingDockerfilesAndFolders() throws Exception {
        String compose = Files.readString(DOCKER.resolve("compose.yml"));
        Matcher dockerfile = Pattern.compile("dockerfile: (\\S+)").matcher(compose);
        int files = 0;
        while (dockerfile.find()) {
            assertTrue(Files.isRegularFile(ROOT.resolve(dockerfile.group(1))), dockerfile.group(1));
            files++;
        }
        assertEquals(2, files, "a CPU and a CUDA service");
        Matcher volume = Pattern.compile("- (\\.\\./[^:]+):").matcher(compose);
        int volumes = 0;
        while (volume.find()) {
            assertTrue(Files.isDirectory(DOCKER.resolve(volume.group(1)).normalize()), volume.group(1));
            volumes++;
        }
        assertTrue(volumes >= 2, compose);
        Matcher context = Pattern.compile("context: (\\S+)").matcher(compose);
        while (context.find()) {
            assertEquals(ROOT.normalize(), DOCKER.resolve(context.group(1)).normalize(), "builds from the repository root");
        }
        for (String line : compose.lines().filter(l -> l.contains("docker compose -f")).toList()) {
            String file = line.replaceAll(".*docker compose -f (\\S+).*", "$1");
            assertTrue(Files.isRegularFile(ROOT.resolve(file)), line);
        }
    }
}
