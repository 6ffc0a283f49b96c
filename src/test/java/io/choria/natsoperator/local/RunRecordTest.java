package io.choria.natsoperator.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the next {@code local} kills after one killed with SIGKILL: a recorded process only while
 * {@code /proc/<pid>/stat} shows the recorded start time, and nothing at all while the owner runs.
 * Real processes ({@code sleep}), records written by hand; no root, no namespaces.
 */
class RunRecordTest {
    @TempDir Path dir;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void theStartTimeIsField22CountedFromTheLastParenthesisOfTheCommandName() throws Exception {
        // pid, comm "a) 1 (b", then fields 3 to 52; field 22 (starttime) is 987654
        StringBuilder stat = new StringBuilder("4242 (a) 1 (b) S");
        for (int field = 4; field <= 52; field++) stat.append(' ').append(field == 22 ? 987654 : field);
        assertEquals(987654, RunRecord.startTimeOf(stat + "\n"));

        // a real process with such a name (the kernel takes it from the file run: a link to sleep)
        Path odd = Files.createSymbolicLink(dir.resolve("a) 1 (b"), Path.of(which("sleep")));
        long before = RunRecord.startTime(ProcessHandle.current().pid()).orElseThrow();
        Process p = start(odd.toString(), "60");
        String line = Files.readString(Path.of("/proc", String.valueOf(p.pid()), "stat"));
        assertTrue(line.contains("(a) 1 (b)"), line);
        long t = RunRecord.startTime(p.pid()).orElseThrow();
        long after = RunRecord.startTime(start("sleep", "60").pid()).orElseThrow();
        assertTrue(before <= t && t <= after, before + " <= " + t + " <= " + after);
        assertNotEquals(Long.parseLong(line.split(" ")[21]), t, "counted from the first space, field 22 is another");
        assertTrue(RunRecord.startTime(Integer.MAX_VALUE).isEmpty(), "no such process");
    }

    @Test
    void theRecordHoldsTheOwnerAndEachProcessStillRunningWhenRecorded() throws Exception {
        RunRecord record = new RunRecord(dir);
        RunRecord.Stamp owner = RunRecord.Stamp.parse(Files.readString(dir.resolve(RunRecord.OWNER_FILE))).orElseThrow();
        assertEquals(ProcessHandle.current().pid(), owner.pid());
        assertTrue(owner.running());

        Process sleeping = start("sleep", "60");
        record.started(sleeping);
        Process done = start("true");
        assertTrue(done.waitFor(10, TimeUnit.SECONDS));
        record.started(done); // gone: its pid may be another's by now
        assertEquals(List.of(RunRecord.Stamp.of(sleeping.pid()).orElseThrow().line()), Files.readAllLines(dir.resolve(RunRecord.PROCESSES_FILE)));
    }

    @Test
    void aRecordedProcessIsKilledOnlyWhileItsPidHasTheRecordedStartTime() throws Exception {
        Process leftover = start("sleep", "60");
        Process stranger = start("sleep", "60"); // has a recorded pid, but started at another time: pid reused
        Process ownerPidNow = start("sleep", "60"); // the dead local's pid, given to this one since
        Path work = workDir(stamp(ownerPidNow.pid(), -1), stamp(leftover.pid(), 0), stamp(stranger.pid(), -1));

        AtomicLong cleanedUpFor = new AtomicLong();
        assertTrue(RunRecord.removeIfAbandoned(work, cleanedUpFor::set), "the owner's pid is another process's now: the owner is gone");
        assertEquals(ownerPidNow.pid(), cleanedUpFor.get());
        assertTrue(leftover.waitFor(10, TimeUnit.SECONDS), "the leftover, same pid and start time, is killed");
        assertEquals(137, leftover.exitValue());
        assertTrue(stranger.isAlive(), "a process that reused a recorded pid is left alone");
        assertTrue(ownerPidNow.isAlive(), "the owner's pid is never killed");
    }

    @Test
    void nothingIsTouchedWhileTheOwnerRunsWithItsRecordedStartTime() throws Exception {
        Process owner = start("sleep", "60"); // another local, running
        Process its = start("sleep", "60");
        Path work = workDir(stamp(owner.pid(), 0), stamp(its.pid(), 0));

        AtomicLong cleanedUpFor = new AtomicLong(-1);
        assertFalse(RunRecord.removeIfAbandoned(work, cleanedUpFor::set));
        assertEquals(-1, cleanedUpFor.get(), "no clean-up");
        assertTrue(its.isAlive() && owner.isAlive());
        assertTrue(Files.exists(work.resolve(RunRecord.PROCESSES_FILE)) && Files.exists(work.resolve(RunRecord.OWNER_FILE)));

        // without an owner record (an older local, or one writing it now): the directory's pid decides
        Path older = Files.createDirectory(dir.resolve(String.valueOf(owner.pid())));
        Files.writeString(older.resolve(RunRecord.PROCESSES_FILE), stamp(its.pid(), 0) + "\n");
        assertFalse(RunRecord.removeIfAbandoned(older, cleanedUpFor::set));
        assertTrue(its.isAlive());
    }

    /** A work directory whose owner record is the first line, its processes the others. */
    private Path workDir(String owner, String... processes) throws IOException {
        Path work = Files.createDirectories(dir.resolve("run").resolve(owner.split(" ")[0]));
        Files.writeString(work.resolve(RunRecord.OWNER_FILE), owner + "\n");
        Files.writeString(work.resolve(RunRecord.PROCESSES_FILE), String.join("\n", processes) + "\n", StandardCharsets.UTF_8);
        return work;
    }

    /** A record line: the pid with its real start time plus {@code shift} ticks (not 0: another process's). */
    private static String stamp(long pid, long shift) {
        return pid + " " + (RunRecord.startTime(pid).orElseThrow() + shift);
    }

    private Process start(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        return p;
    }

    private static String which(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) return Path.of(d, tool).toString();
        }
        throw new AssertionError(tool + " not on PATH");
    }
}
