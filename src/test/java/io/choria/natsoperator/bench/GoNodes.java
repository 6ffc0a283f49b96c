package io.choria.natsoperator.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link StormNodes} made by {@code bench/choria-nodes}: the real nats.go client (Debian's 1.22.1),
 * configured as go-choria's connector, in its own process pinned to a CPU. Built on first use with
 * Debian's Go ({@code GO111MODULE=off GOPATH=/usr/share/gocode go build}); a missing Go fails loudly.
 */
final class GoNodes implements StormNodes {
    static final Path SOURCE = Path.of("bench", "choria-nodes");
    static final Path BINARY = Path.of("target", "choria-nodes");

    private final Process process;
    private final PrintWriter in;
    private final BufferedReader out;

    /**
     * @param servers the middleware_hosts, in the order each node walks them
     * @param order "same" (every node walks {@code servers} as given) or "rotate" (node i starts at server i mod n)
     * @param serverName the DNS name the brokers' certificate is checked against (a node names its broker by DNS)
     * @param backoff "choria" (go-choria's TwentySec backoff) or "natsgo" (nats.go's 2 s wait + jitter below 1 s)
     * @param cpu the CPU the generator is pinned to ({@code taskset -c})
     */
    GoNodes(List<String> servers, String order, String serverName, Path ca, Path cert, Path key, String backoff, boolean randomize,
            Duration timeout, int cpu) throws IOException {
        build();
        List<String> cmd = new ArrayList<>(List.of("taskset", "-c", String.valueOf(cpu), BINARY.toAbsolutePath().toString(),
                "-servers", String.join(",", servers), "-ca", ca.toString(), "-cert", cert.toString(), "-key", key.toString(),
                "-order", order, "-servername", serverName, "-backoff", backoff, "-timeout", timeout.toMillis() + "ms"));
        if (randomize) cmd.add("-randomize");
        process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // Ctrl-C or SIGTERM of the benchmark: the nodes go too (they would reconnect forever)
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "choria-nodes-cleanup"));
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Builds the generator when its binary is older than its source. */
    static synchronized void build() throws IOException {
        Path main = SOURCE.resolve("main.go");
        if (Files.exists(BINARY) && Files.getLastModifiedTime(BINARY).compareTo(Files.getLastModifiedTime(main)) >= 0) return;
        Files.createDirectories(BINARY.getParent());
        ProcessBuilder pb = new ProcessBuilder("go", "build", "-o", BINARY.toAbsolutePath().toString(), ".")
                .directory(SOURCE.toFile()).redirectErrorStream(true);
        pb.environment().put("GO111MODULE", "off");
        pb.environment().put("GOPATH", "/usr/share/gocode");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException("go is needed for the nats.go generator: apt-get install -y golang-go golang-github-nats-io-go-nats-dev", e);
        }
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) throw new IOException("go build of " + SOURCE + " failed:\n" + said);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private synchronized String ask(String command, String answer) throws IOException {
        in.println(command);
        String line = out.readLine();
        if (line == null) throw new IOException("choria-nodes exited (" + command + ")");
        if (!line.startsWith(answer)) throw new IOException("choria-nodes: " + command + " -> " + line);
        return line.substring(answer.length()).trim();
    }

    @Override
    public double connectSteadily(int n, int inFlight, Duration bound) throws IOException {
        String[] f = ask("connect " + n + " " + inFlight + " " + bound.toSeconds(), "connected").split(" ");
        return Double.parseDouble(f[1]);
    }

    @Override
    public int established() {
        try {
            return Integer.parseInt(ask("established", "established"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void resetAttempts() throws IOException {
        ask("reset", "reset");
    }

    @Override
    public void mark() throws IOException {
        ask("mark", "marked");
    }

    @Override
    public Result result(int n) throws IOException {
        String[] f = ask("storm " + n, "storm").split(" ");
        return new Result(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                Integer.parseInt(f[4]), Integer.parseInt(f[5]), Long.parseLong(f[6]));
    }

    @Override
    public long cpuNanos() {
        try {
            return BrokerLoadBench.cpuNanos(process.pid());
        } catch (Exception e) {
            throw new IllegalStateException("CPU time of choria-nodes", e);
        }
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        try {
            ask("close", "closed");
        } catch (IOException | RuntimeException e) {
            // gone already
        }
        process.destroyForcibly();
    }
}
