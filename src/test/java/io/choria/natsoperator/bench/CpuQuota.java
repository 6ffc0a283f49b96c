package io.choria.natsoperator.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A CPU quota for the broker, as a container's CPU limit gives it: a cgroup with a CFS quota of
 * {@code cpus} per 100 ms period (cgroup v1 {@code cpu.cfs_quota_us}, or v2 {@code cpu.max}).
 * The broker enters it through {@link #launchPrefix()}; the group is removed on close. With
 * {@code cpus <= 0} there is no group and no prefix.
 */
final class CpuQuota implements AutoCloseable {
    private static final Path V1 = Path.of("/sys/fs/cgroup/cpu");
    private static final Path V2 = Path.of("/sys/fs/cgroup");
    private final Path group;

    private CpuQuota(Path group) {
        this.group = group;
    }

    static CpuQuota create(double cpus) {
        if (cpus <= 0) return new CpuQuota(null);
        String name = "nats-bench-" + ProcessHandle.current().pid();
        long quota = Math.round(cpus * 100_000);
        try {
            if (Files.isDirectory(V1) && Files.exists(V1.resolve("cpu.cfs_quota_us"))) {
                Path g = Files.createDirectories(V1.resolve(name));
                Files.writeString(g.resolve("cpu.cfs_period_us"), "100000");
                Files.writeString(g.resolve("cpu.cfs_quota_us"), String.valueOf(quota));
                return new CpuQuota(g);
            }
            if (Files.exists(V2.resolve("cgroup.controllers"))) {
                Path g = Files.createDirectories(V2.resolve(name));
                Files.writeString(g.resolve("cpu.max"), quota + " 100000");
                return new CpuQuota(g);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("a CPU quota needs root and a cpu cgroup controller", e);
        }
        throw new IllegalStateException("no cpu cgroup controller (neither " + V1 + " nor cgroup v2 at " + V2 + ")");
    }

    /** Moves the launched process into the group, then execs the rest of the command line. */
    List<String> launchPrefix() {
        if (group == null) return List.of();
        return List.of("sh", "-c", "echo $$ > " + group.resolve("cgroup.procs") + " && exec \"$@\"", "cpu-quota");
    }

    @Override
    public void close() {
        if (group == null) return;
        try {
            for (String pid : Files.readAllLines(group.resolve("cgroup.procs"))) {
                if (!pid.isBlank()) ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
            }
            for (int i = 0; i < 50 && !Files.readString(group.resolve("cgroup.procs")).isBlank(); i++) Thread.sleep(100);
            Files.delete(group); // rmdir of a cgroup
        } catch (IOException | InterruptedException e) {
            System.err.println("cleanup of " + group + ": " + e);
        }
    }
}
