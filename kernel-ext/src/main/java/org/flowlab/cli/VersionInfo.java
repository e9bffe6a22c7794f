package org.flowlab.cli;

import picocli.CommandLine;

/** {@code --version}: Flowlab's version, the Java running it, the OS. */
public final class VersionInfo implements CommandLine.IVersionProvider {

    public static String flowlabVersion() {
        String v = FlowlabCli.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** {@code "Linux amd64, 2 cores, Java 17.0.15"}. */
    public static String machine() {
        return System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version");
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "Flowlab " + flowlabVersion(),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
                    + System.getProperty("java.home") + ")",
            "OS " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                    + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores"
        };
    }
}
