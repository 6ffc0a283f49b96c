package io.choria.natsoperator.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A memory limit for the operator as its pod's gives it: a cgroup v1 memory group with {@code memory.limit_in_bytes}. The
 * JVM is started inside it (container support reads the limit), so it sizes its heap from {@code -XX:MaxRAMPercentage} and
 * picks its collector as in the container, and the kernel kills it past the limit as the kubelet's OOM killer would. The
 * group is removed on close.
 */
final class MemoryLimit implements AutoCloseable {
    private static final Path V1 = Path.of("/sys/fs/cgroup/memory");
    private final Path group;

    private MemoryLimit(Path group) {
        this.group = group;
    }

    /** {@code limit}: bytes, or with a k, m or g suffix (binary), e.g. 512m. */
    static MemoryLimit create(String limit) {
        long bytes = bytes(limit);
        if (!Files.exists(V1.resolve("memory.limit_in_bytes"))) throw new IllegalStateException("no cgroup v1 memory controller at " + V1);
        try {
            Path g = Files.createDirectories(V1.resolve("nats-bench-mem-" + ProcessHandle.current().pid()));
            Files.writeString(g.resolve("memory.limit_in_bytes"), String.valueOf(bytes));
            return new MemoryLimit(g);
        } catch (IOException e) {
            throw new UncheckedIOException("a memory limit needs root", e);
        }
    }

    static long bytes(String limit) {
        String l = limit.trim().toLowerCase(java.util.Locale.ROOT);
        long unit = l.endsWith("g") ? 1L << 30 : l.endsWith("m") ? 1L << 20 : l.endsWith("k") ? 1L << 10 : 1;
        return Long.parseLong(unit == 1 ? l : l.substring(0, l.length() - 1)) * unit;
    }

    /** Moves the launched process into the group, then execs the rest of the command line (the JVM starts inside it). */
    List<String> launchPrefix() {
        return List.of("sh", "-c", "echo $$ > " + group.resolve("cgroup.procs") + " && exec \"$@\"", "memory-limit");
    }

    /** The group's peak usage (memory.max_usage_in_bytes: anonymous memory and page cache, as the kernel charges it). */
    long peakBytes() {
        return read("memory.max_usage_in_bytes");
    }

    /** How often the group hit its limit (the kernel then reclaimed page cache, or killed). */
    long failures() {
        return read("memory.failcnt");
    }

    /** Processes of the group the kernel's OOM killer killed (0 on kernels that do not count them). */
    long oomKills() {
        try {
            for (String line : Files.readAllLines(group.resolve("memory.oom_control"))) {
                if (line.startsWith("oom_kill ")) return Long.parseLong(line.substring(9).trim());
            }
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private long read(String file) {
        try {
            return Long.parseLong(Files.readString(group.resolve(file)).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            for (String pid : Files.readAllLines(group.resolve("cgroup.procs"))) {
                if (!pid.isBlank()) ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
            }
            for (int i = 0; i < 50 && !Files.readString(group.resolve("cgroup.procs")).isBlank(); i++) Thread.sleep(100);
            Files.delete(group);
        } catch (IOException | InterruptedException e) {
            System.err.println("cleanup of " + group + ": " + e);
        }
    }
}
