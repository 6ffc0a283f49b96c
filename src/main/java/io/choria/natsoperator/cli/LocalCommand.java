package io.choria.natsoperator.cli;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.local.LocalCluster;
import io.choria.natsoperator.model.Names;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code local}: the whole operator on this machine. The real reconciler runs against an embedded
 * stand-in for the API server, and the pods of the StatefulSets it creates run as real processes
 * (see {@link LocalCluster}); the {@code -f} files are applied, and applied again when they change.
 * Stays up until Ctrl-C or SIGTERM, then stops everything it started.
 */
final class LocalCommand {
    private LocalCommand() {}

    static int run(String[] args, PrintStream out) {
        List<Path> files = new ArrayList<>();
        String clusterDomain = Names.DEFAULT_CLUSTER_DOMAIN;
        String logLevel = "warn";
        InetSocketAddress metricsAddress = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-f", "--filename" -> files.add(Path.of(RunCommand.value(args, ++i, args[i - 1])));
                case "--cluster-domain" -> clusterDomain = RunCommand.value(args, ++i, "--cluster-domain");
                case "--log-level" -> logLevel = RunCommand.value(args, ++i, "--log-level");
                case "--metrics-address" -> metricsAddress = loopback(RunCommand.value(args, ++i, "--metrics-address"));
                case "-h", "--help" -> {
                    out.println(usage());
                    return 0;
                }
                default -> throw new Main.UsageException("local: unknown option '" + args[i] + "' (see local --help)");
            }
        }
        if (files.isEmpty()) throw new Main.UsageException("local: give the NatsCluster (and its Secrets) with -f FILE");
        // before the first logger is made: slf4j-simple reads its level once; the operator's own log goes to stderr
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", logLevel);
        }
        String missing = LocalCluster.missingRequirements();
        if (missing != null) {
            System.err.println("nats-operator local: " + missing);
            return 1;
        }
        RenderInput first;
        try {
            first = RenderInput.read(files);
        } catch (RenderException e) {
            System.err.println("nats-operator local: " + e.getMessage());
            return 1;
        }
        if (first.clusters().isEmpty()) {
            System.err.println("nats-operator local: no NatsCluster in " + files);
            return 1;
        }
        LocalCluster cluster;
        try {
            cluster = LocalCluster.start(clusterDomain, metricsAddress, out);
        } catch (RuntimeException e) {
            System.err.println("nats-operator local: cannot start: " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "local-shutdown"));
        ManifestFiles manifests = new ManifestFiles(files);
        try {
            apply(cluster, first, out);
        } catch (RuntimeException e) {
            System.err.println("nats-operator local: not applied: " + e.getMessage());
            cluster.close();
            return 1;
        }
        manifests.unchanged();
        out.println(LocalCluster.time() + " applied " + files + "; edit them and the change is applied; Ctrl-C stops everything");
        while (!cluster.closed()) {
            if (manifests.changed()) {
                try {
                    apply(cluster, RenderInput.read(files), out);
                } catch (RuntimeException e) { // a bad edit, or the API server refused it: say so, keep running
                    out.println(LocalCluster.time() + " not applied: " + e.getMessage());
                }
            }
            cluster.printStatus();
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                break;
            }
        }
        return 0;
    }

    /**
     * {@code HOST:PORT} (or {@code [IPv6]:PORT}) with a HOST that is a loopback address: the endpoints have no
     * authentication and {@code local} runs as root, so they are never served beyond this machine.
     */
    static InetSocketAddress loopback(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new Main.UsageException("local: --metrics-address takes HOST:PORT (e.g. 127.0.0.1:9090), not '" + value + "'");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) throw new Main.UsageException("local: --metrics-address " + value + ": the port is not a number from 0 to 65535");
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new Main.UsageException("local: --metrics-address " + value + ": unknown host " + host);
        }
        if (!address.isLoopbackAddress()) {
            throw new Main.UsageException("local: --metrics-address " + value + " is not a loopback address (" + address.getHostAddress()
                    + "): the operator's /metrics is served on 127.0.0.0/8 or ::1 only");
        }
        return new InetSocketAddress(address, port);
    }

    private static void apply(LocalCluster cluster, RenderInput input, PrintStream out) {
        input.secrets().values().forEach(s -> out.println(LocalCluster.time() + " " + cluster.apply(s)));
        for (NatsCluster nc : input.clusters()) out.println(LocalCluster.time() + " " + cluster.apply(nc));
    }

    /** Notices edits of the -f files by their content, not their times (an editor may keep the time). */
    private static final class ManifestFiles {
        private final List<Path> files;
        private String last = "";

        ManifestFiles(List<Path> files) {
            this.files = files;
        }

        void unchanged() {
            last = content();
        }

        boolean changed() {
            String now = content();
            if (now.equals(last)) return false;
            last = now;
            return true;
        }

        private String content() {
            StringBuilder s = new StringBuilder();
            for (Path f : files) {
                try {
                    s.append(java.nio.file.Files.readString(f)).append('\0');
                } catch (java.io.IOException e) {
                    s.append("unreadable: ").append(e.getMessage()).append('\0');
                }
            }
            return s.toString();
        }
    }

    static String usage() {
        return """
                usage: nats-operator local -f FILE [-f FILE ...] [--cluster-domain D] [--log-level L] [--metrics-address HOST:PORT]
                  Runs the operator on this machine, without Kubernetes: the real reconciler against an
                  embedded stand-in for the API server (fabric8's mock server in CRUD mode: no admission,
                  no garbage collection), and every broker pod as a real nats-server process in its own
                  network namespace (a small "process kubelet": volumes, env, init containers, probes,
                  restarts, rolling updates). Applies the NatsClusters and Secrets in FILE, and applies them
                  again when FILE changes (change size: 3 to 5 and the cluster scales). Prints each status
                  change, then the client URLs and middleware_hosts a Choria node would use.
                  Needs root (network and mount namespaces), nats-server, ip and unshare on PATH.
                  Ctrl-C or SIGTERM stops every process and removes every namespace it made.
                  --log-level: the operator's own log on stderr (default warn).
                  --metrics-address: serve the operator's /metrics, /healthz and /readyz (as run does on
                  --http-port) on HOST:PORT, e.g. 127.0.0.1:9090 for a Prometheus on this machine to scrape;
                  a loopback address only (127.0.0.0/8, ::1): anything else is refused. Default: not served.""";
    }
}
