package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.pki.Digests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rendered assembler, run with sh against parts laid out as projected: it fails closed on an inconsistent set. */
class PinnedListAssemblerTest {
    @TempDir Path root;

    static PinnedList list(long epoch, int keys) {
        TreeSet<String> k = new TreeSet<>();
        for (int i = 0; i < keys; i++) k.add(Digests.sha256Hex("key " + i));
        return new PinnedList(epoch, Digests.sha256Hex("epoch " + epoch), k);
    }

    BrokerPaths paths() {
        return new BrokerPaths(root.toString(), root + "/run/nats.pid", "127.0.0.1");
    }

    void lay(PinnedList parts, PinnedList manifest) throws Exception {
        Path dir = Path.of(paths().pinnedPartsDir());
        Files.createDirectories(dir);
        Files.createDirectories(Path.of(paths().pinnedDir()));
        for (int i = 0; i < PinnedList.PARTS; i++) Files.writeString(dir.resolve(PinnedList.partFile(i)), parts.renderPart(i));
        Files.writeString(dir.resolve(PinnedList.MANIFEST), manifest.renderManifest("ns", "c"));
    }

    int assemble() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", PinnedListAssembler.function(paths()) + "assemble_pinned").redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.exitValue();
    }

    @Test
    void aConsistentSetIsAssembledWithTheEpochEntryFirst() throws Exception {
        PinnedList l = list(3, 500);
        lay(l, l);
        assertEquals(0, assemble());
        String file = Files.readString(Path.of(paths().pinnedFile()));
        var entries = file.lines().filter(s -> s.matches("  \"[0-9a-f]{64}\"")).map(s -> s.substring(3, 67)).toList();
        assertEquals(l.epochPin(), entries.get(0));
        assertEquals(l.keys(), new TreeSet<>(entries.subList(1, entries.size())));
    }

    @Test
    void mixedEpochsAreNotAssembledAndTheLastListStays() throws Exception {
        PinnedList old = list(1, 300);
        lay(old, old);
        assertEquals(0, assemble());
        String before = Files.readString(Path.of(paths().pinnedFile()));
        // the manifest of a list with one more key, the parts still of the old one
        PinnedList next = list(2, 301);
        lay(old, next);
        assertEquals(1, assemble());
        assertEquals(before, Files.readString(Path.of(paths().pinnedFile())), "the list in force stays");
        // the new parts, the old manifest
        lay(next, old);
        assertEquals(1, assemble());
        assertEquals(before, Files.readString(Path.of(paths().pinnedFile())));
        lay(next, next);
        assertEquals(0, assemble());
        assertTrue(Files.readString(Path.of(paths().pinnedFile())).contains(next.epochPin()));
    }

    @Test
    void withoutAnEpochEntryOrWithoutAManifestNothingIsWritten() throws Exception {
        PinnedList l = list(1, 10);
        lay(l, l);
        Files.writeString(Path.of(paths().pinnedPartsDir(), PinnedList.MANIFEST), l.renderManifest("ns", "c").replaceAll("(?m)^epoch .*\n", ""));
        assertEquals(1, assemble());
        assertFalse(Files.exists(Path.of(paths().pinnedFile())), "no list without the epoch entry: empty means no pinning");
        Files.delete(Path.of(paths().pinnedPartsDir(), PinnedList.MANIFEST));
        assertEquals(1, assemble());
        assertFalse(Files.exists(Path.of(paths().pinnedFile())));
    }
}
