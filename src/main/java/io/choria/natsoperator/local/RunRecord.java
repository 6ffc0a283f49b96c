package io.choria.natsoperator.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * What a {@code local} writes in its work directory so that the next one can clean up after it when
 * it was killed with SIGKILL, without ever killing a stranger: its own pid and start time
 * ({@value #OWNER_FILE}) and those of every container process it starts ({@value #PROCESSES_FILE},
 * one {@code pid starttime} a line).
 *
 * <p>A pid names a process only while that process lives: once it is gone the kernel gives the
 * number to the next process that asks. The start time (field 22 of {@code /proc/<pid>/stat}, in
 * clock ticks since boot) tells the recorded process from a later one with the same pid, so a
 * recorded process is killed only while {@code /proc/<pid>/stat} still shows the recorded start
 * time, and a {@code local} counts as running only while its own pid does.
 */
final class RunRecord {
    static final String OWNER_FILE = "owner";
    static final String PROCESSES_FILE = "processes";
    /** Field 22 (starttime), counted from field 3 (state), the first after the command name's closing parenthesis. */
    private static final int START_TIME_AFTER_COMM = 22 - 3;

    /** A process as the kernel tells it from any other: its pid and its start time. */
    record Stamp(long pid, long startTime) {
        /** The process that has {@code pid} now; empty when none has. */
        static Optional<Stamp> of(long pid) {
            return RunRecord.startTime(pid).map(t -> new Stamp(pid, t));
        }

        /** Whether the process with this pid is still the one recorded (same start time). */
        boolean running() {
            return RunRecord.startTime(pid).map(t -> t == startTime).orElse(false);
        }

        String line() {
            return pid + " " + startTime;
        }

        /** A {@link #line()}; empty for anything else. */
        static Optional<Stamp> parse(String line) {
            String[] f = line.strip().split("\\s+");
            if (f.length != 2 || !f[0].matches("\\d{1,10}") || !f[1].matches("\\d{1,19}")) return Optional.empty();
            return Optional.of(new Stamp(Long.parseLong(f[0]), Long.parseLong(f[1])));
        }
    }

    private final Path processes;

    /** Records this JVM as the owner of {@code workDir}; {@link #started} then records its processes there. */
    RunRecord(Path workDir) {
        this.processes = workDir.resolve(PROCESSES_FILE);
        Stamp self = Stamp.of(ProcessHandle.current().pid()).orElseThrow(() -> new IllegalStateException("no /proc/self/stat"));
        // all at once: a local starting now reads an owner file, or none (then it goes by the directory's pid)
        LocalPod.writeAtomically(workDir.resolve(OWNER_FILE), (self.line() + "\n").getBytes(StandardCharsets.UTF_8), 0600);
    }

    /** Records a process just started, unless it is gone already (then its pid may be another's by now). */
    synchronized void started(Process p) {
        Optional<Stamp> s = Stamp.of(p.pid());
        // still alive after its stat was read: not reaped, so the pid was still its own when read
        if (s.isEmpty() || !p.isAlive()) return;
        try {
            Files.writeString(processes, s.get().line() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record pid " + p.pid() + " in " + processes, e);
        }
    }

    /**
     * Cleans up after the {@code local} that owned {@code workDir} if it no longer runs: kills (SIGKILL) each
     * recorded process that is still the one recorded, then calls {@code cleanup} with the owner's pid (its
     * network, mounts and directory). Returns false, having touched nothing, while the owner runs: that
     * is another {@code local}. An owner without a record (an older {@code local}, or one writing it right
     * now) counts as running while a process has the pid the directory is named after.
     */
    static boolean removeIfAbandoned(Path workDir, LongConsumer cleanup) {
        String name = workDir.getFileName().toString();
        Optional<Stamp> owner = read(workDir.resolve(OWNER_FILE)).stream().findFirst();
        long pid;
        if (owner.isPresent()) {
            if (owner.get().running()) return false;
            pid = owner.get().pid();
        } else {
            if (!name.matches("\\d{1,10}")) return false;
            pid = Long.parseLong(name);
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) return false;
        }
        killRecorded(workDir);
        cleanup.accept(pid);
        return true;
    }

    /** SIGKILL to each process of {@value #PROCESSES_FILE} that still has its recorded start time; returns those. */
    static List<Stamp> killRecorded(Path workDir) {
        List<Stamp> killed = new ArrayList<>();
        for (Stamp s : read(workDir.resolve(PROCESSES_FILE))) {
            if (s.pid() == ProcessHandle.current().pid() || !s.running()) continue; // another process has the pid now: not ours
            ProcessHandle.of(s.pid()).ifPresent(h -> {
                if (h.destroyForcibly()) killed.add(s);
            });
        }
        return killed;
    }

    /** The start time of the process that has {@code pid} now, from {@code /proc/<pid>/stat}; empty when none has. */
    static Optional<Long> startTime(long pid) {
        try {
            return Optional.of(startTimeOf(Files.readString(Path.of("/proc", String.valueOf(pid), "stat"), StandardCharsets.ISO_8859_1)));
        } catch (IOException e) {
            return Optional.empty(); // no such process, or it exited while being read
        }
    }

    /**
     * Field 22 of a {@code /proc/<pid>/stat} line. The second field is the command name in parentheses, and
     * that name may hold spaces and parentheses itself: the fields are counted from the last {@code ')'}.
     */
    static long startTimeOf(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + stat);
        String[] after = stat.substring(close + 1).strip().split("\\s+");
        if (after.length <= START_TIME_AFTER_COMM) throw new IllegalArgumentException("too few fields in /proc/<pid>/stat: " + stat);
        return Long.parseLong(after[START_TIME_AFTER_COMM]);
    }

    private static List<Stamp> read(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(Stamp::parse).flatMap(Optional::stream).toList();
        } catch (IOException e) {
            return List.of(); // none recorded
        }
    }
}
