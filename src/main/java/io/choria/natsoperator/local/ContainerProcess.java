package io.choria.natsoperator.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One process of a container: started in its own mount namespace ({@code unshare -m}, private
 * propagation, so nothing it mounts is seen outside), where each volume directory is bind-mounted
 * at its mount path and a private hosts file over {@code /etc/hosts}; optionally inside a pod's
 * network namespace. {@code unshare} and {@code sh} exec the command, so the {@link Process} is
 * the container's own process and a signal to it reaches the program.
 */
public final class ContainerProcess {
    private ContainerProcess() {}

    /** A bind mount: {@code source} on the machine at {@code target} inside the container. */
    public record Mount(String source, String target, boolean readOnly) {}

    /**
     * The command line: {@code setsid [ip netns exec NS] unshare -m sh -c <mounts; exec "$@"> sh COMMAND...}.
     * {@code netns} null keeps the caller's network namespace.
     */
    public static List<String> commandLine(String netns, List<Mount> mounts, List<String> command) {
        return commandLine(netns == null ? List.of() : List.of("ip", "netns", "exec", netns), mounts, command);
    }

    /** The same, after any {@code prefix} that execs its arguments (e.g. {@code ip netns exec NS taskset -c 0}). */
    public static List<String> commandLine(List<String> prefix, List<Mount> mounts, List<String> command) {
        StringBuilder script = new StringBuilder("set -e\n");
        for (Mount m : mounts) {
            script.append("mount --bind ").append(quote(m.source())).append(' ').append(quote(m.target())).append('\n');
            if (m.readOnly()) script.append("mount -o remount,bind,ro ").append(quote(m.target())).append('\n');
        }
        script.append("exec \"$@\"\n");
        // its own session: a Ctrl-C at the terminal reaches the JVM, which stops the containers in order, not the containers themselves
        List<String> line = new ArrayList<>(List.of("setsid"));
        line.addAll(prefix);
        line.addAll(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", script.toString(), "sh"));
        line.addAll(command);
        return line;
    }

    /**
     * {@code setpriv --pdeathsig KILL} when this machine's setpriv has that option (util-linux 2.33 and later), else
     * nothing. Put before a command (after {@code setsid}, which execs it), the kernel sends the process SIGKILL when
     * the thread that started it ends, so a JVM killed with SIGKILL takes it along; it does not reach the process's
     * own children. A process started by a thread that ends before it dies then too: only for threads that outlive
     * what they start.
     */
    public static List<String> dieWithParent() {
        return DieWithParent.PREFIX;
    }

    /** Asked once, when first needed. */
    private static final class DieWithParent {
        static final List<String> PREFIX = probeDieWithParent();
    }

    private static List<String> probeDieWithParent() {
        List<String> prefix = List.of("setpriv", "--pdeathsig", "KILL");
        List<String> probe = new ArrayList<>(prefix);
        probe.add("true");
        try {
            Process p = new ProcessBuilder(probe).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? prefix : List.of();
        } catch (IOException e) {
            return List.of(); // no setpriv
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** Starts it with exactly this environment (a container does not inherit the machine's), output appended to {@code log}. */
    public static Process start(String netns, List<Mount> mounts, List<String> command, Map<String, String> env, Path log) {
        return start(netns == null ? List.of() : List.of("ip", "netns", "exec", netns), mounts, command, env, log);
    }

    /** The same, after {@code prefix}. */
    public static Process start(List<String> prefix, List<Mount> mounts, List<String> command, Map<String, String> env, Path log) {
        ProcessBuilder pb = new ProcessBuilder(commandLine(prefix, mounts, command)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        String path = pb.environment().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().clear();
        pb.environment().put("PATH", path);
        pb.environment().putAll(env);
        try {
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** SIGTERM, then SIGKILL once {@code grace} has passed; returns when the process is gone. */
    public static void stop(Process p, Duration grace) {
        if (p == null || !p.isAlive()) return;
        p.destroy();
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** A shell word that stays one word whatever it holds. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
