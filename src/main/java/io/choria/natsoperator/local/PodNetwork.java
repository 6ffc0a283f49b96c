package io.choria.natsoperator.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The pod network of {@code local}: one network namespace per pod, as on a Kubernetes node, so
 * that every broker listens on its own address with the ports the StatefulSet declares, and the
 * kernel settings of the sysctl init container apply to that pod alone.
 *
 * <p>Each pod's {@code eth0} is one end of a veth pair whose other end sits on a bridge that
 * exists only while {@code local} runs. The bridge carries {@code 198.18.<k>.1/24}: 198.18.0.0/15
 * is reserved for benchmarking networks (RFC 2544), so no real route on the machine clashes with
 * it and nothing is ever routed off the machine (no forwarding, no NAT). The operator and the
 * user's clients reach the pods on the bridge, as a node reaches its pods.
 *
 * <p>Names carry the pid of the JVM that made them, in hex ({@code nlb<pid>} bridge, {@code nlp<pid>-<n>}
 * namespaces), so that {@link #removeStale} can clean up after a {@code local} that was killed.
 */
public final class PodNetwork implements AutoCloseable {
    static final String NETNS_PREFIX = "nlp";
    static final String VETH_PREFIX = "nlv";
    static final String BRIDGE_PREFIX = "nlb";
    private static final int FIRST_HOST = 2;
    private static final int LAST_HOST = 254;

    private final String id;
    private final String bridge;
    private final String prefix;
    private final BitSet used = new BitSet();
    private final Map<String, Attachment> pods = new LinkedHashMap<>();
    private int serial;
    private boolean closed;

    /** One pod's place on the network. */
    public record Attachment(String netns, String address, int host) {}

    private PodNetwork(String id, String prefix) {
        this.id = id;
        this.bridge = BRIDGE_PREFIX + id;
        this.prefix = prefix;
    }

    /** Creates the bridge on the first free 198.18.k.0/24; removes the leftovers of killed runs first. */
    public static PodNetwork create() {
        removeStale();
        String id = Long.toHexString(ProcessHandle.current().pid());
        String taken = run(List.of("ip", "-4", "-o", "addr", "show"));
        for (int k = 0; k < 256; k++) {
            String prefix = "198.18." + k + ".";
            if (taken.contains(" " + prefix)) continue;
            PodNetwork net = new PodNetwork(id, prefix);
            run(List.of("ip", "link", "add", net.bridge, "type", "bridge"));
            try {
                run(List.of("ip", "addr", "add", net.gateway() + "/24", "dev", net.bridge));
                run(List.of("ip", "link", "set", net.bridge, "up"));
            } catch (RuntimeException e) {
                runQuietly(List.of("ip", "link", "del", net.bridge));
                throw e;
            }
            return net;
        }
        throw new IllegalStateException("no free /24 in 198.18.0.0/16 for the pod network");
    }

    /** The bridge's own address: the node, as the pods see it. */
    public String gateway() {
        return prefix + "1";
    }

    /** A namespace and an address for {@code pod} (namespace/name); the same pod asked twice gets the same. */
    public synchronized Attachment attach(String pod) {
        Attachment existing = pods.get(pod);
        if (existing != null) return existing;
        // A pod the kubelet starts while local stops would get a namespace that close() has already passed by (CI saw one
        // left behind after LocalCommandTest): after close, no more.
        if (closed) throw new IllegalStateException("the pod network is closed: local is stopping");
        int host = used.nextClearBit(FIRST_HOST);
        if (host > LAST_HOST) throw new IllegalStateException("the pod network is full (" + (LAST_HOST - FIRST_HOST + 1) + " pods)");
        String netns = NETNS_PREFIX + id + "-" + (++serial);
        String outside = bridgeEnd(netns); // interface names are at most 15 characters
        Attachment a = new Attachment(netns, prefix + host, host);
        run(List.of("ip", "netns", "add", netns));
        try {
            run(List.of("ip", "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", netns));
            run(List.of("ip", "link", "set", outside, "master", bridge, "up"));
            run(List.of("ip", "-n", netns, "addr", "add", a.address() + "/24", "dev", "eth0"));
            run(List.of("ip", "-n", netns, "link", "set", "eth0", "up"));
            run(List.of("ip", "-n", netns, "link", "set", "lo", "up"));
            run(List.of("ip", "-n", netns, "route", "add", "default", "via", gateway()));
        } catch (RuntimeException e) {
            runQuietly(List.of("ip", "netns", "del", netns));
            throw e;
        }
        used.set(host);
        pods.put(pod, a);
        return a;
    }

    /** The bridge end of the veth pair whose other end is {@code netns}'s eth0: the same owner and serial. */
    private static String bridgeEnd(String netns) {
        return VETH_PREFIX + netns.substring(NETNS_PREFIX.length());
    }

    /** Removes the pod's namespace (and with it its veth pair); its processes must be gone. */
    public synchronized void detach(String pod) {
        Attachment a = pods.remove(pod);
        if (a == null) return;
        killAllIn(a.netns()); // e.g. a sleep the reloader's shell had started
        // The bridge end first, which takes its peer with it at once: a deleted namespace frees its veth only when the
        // kernel gets to it, and CI saw the bridge end still there after local had exited.
        runQuietly(List.of("ip", "link", "del", bridgeEnd(a.netns())));
        runQuietly(List.of("ip", "netns", "del", a.netns()));
        used.clear(a.host());
    }

    /** The command line that runs {@code command} inside the pod's network namespace. */
    public static List<String> inNamespace(Attachment pod, List<String> command) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", pod.netns()));
        c.addAll(command);
        return c;
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (String pod : new ArrayList<>(pods.keySet())) detach(pod);
        runQuietly(List.of("ip", "link", "del", bridge));
    }

    /**
     * Namespaces (and the processes in them) and bridges left by a {@code local} whose JVM no longer runs (killed with
     * SIGKILL), judged by the pid in their names alone: for those whose owner left no work directory (an older
     * {@code local}). {@link ProcessKubelet#removeStale} handles the others first, by pid and start time.
     */
    public static void removeStale() {
        remove(owner -> !alive(owner));
    }

    /** The namespaces (and the processes in them) and the bridge of the {@code local} with this pid, which no longer runs. */
    static void removeOwnedBy(long pid) {
        String hex = Long.toHexString(pid);
        remove(hex::equals);
    }

    private static void remove(Predicate<String> owners) {
        for (String line : runQuietly(List.of("ip", "netns", "list")).split("\n")) {
            String name = line.split(" ")[0];
            String owner = ownerOf(name, NETNS_PREFIX, '-');
            if (owner == null || !owners.test(owner)) continue;
            killAllIn(name); // what the record missed: e.g. a process a container started
            runQuietly(List.of("ip", "link", "del", bridgeEnd(name)));
            runQuietly(List.of("ip", "netns", "del", name));
        }
        for (String line : runQuietly(List.of("ip", "-o", "link", "show", "type", "bridge")).split("\n")) {
            String[] f = line.split(":\\s*");
            if (f.length < 2) continue;
            String name = f[1].split("@")[0];
            String owner = name.startsWith(BRIDGE_PREFIX) ? name.substring(BRIDGE_PREFIX.length()) : null;
            if (owner != null && owner.matches("[0-9a-f]+") && owners.test(owner)) runQuietly(List.of("ip", "link", "del", name));
        }
    }

    private static void killAllIn(String netns) {
        for (String pid : runQuietly(List.of("ip", "netns", "pids", netns)).split("\\s+")) {
            if (pid.matches("\\d+")) ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private static String ownerOf(String name, String prefix, char end) {
        if (!name.startsWith(prefix)) return null;
        int i = name.indexOf(end, prefix.length());
        if (i < 0) return null;
        String owner = name.substring(prefix.length(), i);
        return owner.matches("[0-9a-f]+") ? owner : null;
    }

    private static boolean alive(String hexPid) {
        return ProcessHandle.of(Long.parseLong(hexPid, 16)).map(ProcessHandle::isAlive).orElse(false);
    }

    static String run(List<String> command) {
        Result r = exec(command);
        if (r.code != 0) throw new IllegalStateException(String.join(" ", command) + " failed (" + r.code + "): " + r.output.strip());
        return r.output;
    }

    private static String runQuietly(List<String> command) {
        return exec(command).output;
    }

    private record Result(int code, String output) {}

    private static Result exec(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
