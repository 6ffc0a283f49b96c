package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.AuthorizationSpec;
import io.choria.natsoperator.model.ChoriaPermissions.Role;
import io.choria.natsoperator.pki.Digests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The roles' subjects as go-choria v0.30.2 has them (docs/PERMISSIONS-FACTS.md), and the users the pod writes from them. */
class ChoriaPermissionsTest {
    static final AuthorizationSpec DEFAULTS = new AuthorizationSpec();
    @TempDir Path root;

    @Test
    void rolesFollowChoriasCertnamePatternsPrivilegedFirst() {
        assertEquals(Role.NODE, ChoriaPermissions.role(DEFAULTS, "node1.example.net"));
        assertEquals(Role.NODE, ChoriaPermissions.role(DEFAULTS, "mcollective.example.net"), "the pattern is anchored at the end");
        assertEquals(Role.CLIENT, ChoriaPermissions.role(DEFAULTS, "alice.mcollective"));
        assertEquals(Role.CLIENT, ChoriaPermissions.role(DEFAULTS, "bob.choria"));
        assertEquals(Role.PRIVILEGED, ChoriaPermissions.role(DEFAULTS, "root.privileged.mcollective"));
        assertEquals(Role.PRIVILEGED, ChoriaPermissions.role(DEFAULTS, "root.privileged.choria"));
    }

    @Test
    void aClientsRepliesAreTheMd5OfItsPuppetCallerId() {
        // md5("choria=alice.mcollective"), computed with md5sum: go-choria's ReplyTarget for a Puppet-mode client.
        String entry = ChoriaPermissions.entry("a".repeat(64), Role.CLIENT, "alice.mcollective");
        assertTrue(entry.contains(" 74ce5a833e16d4afa24ecbc90fff8506 "), entry);
        assertEquals("a".repeat(64) + " n node1.example.net", ChoriaPermissions.entry("a".repeat(64), Role.NODE, "node1.example.net"));
        String user = ChoriaPermissions.user(DEFAULTS, entry);
        assertTrue(user.contains("\"mcollective.reply.74ce5a833e16d4afa24ecbc90fff8506.>\""), user);
        assertTrue(user.contains("\"mcollective.reply." + Digests.sha256Hex("choria=alice.mcollective") + ".>\""), user);
        assertFalse(user.contains("\"mcollective.reply.>\""), "a client reads its own replies only: " + user);
    }

    @Test
    void aNodeGetsItsOwnSubjectAndTheBroadcastsButNoRepliesAndSendsNoRequests() {
        List<String> sub = ChoriaPermissions.subscribe(DEFAULTS, Role.NODE);
        assertEquals(List.of("mcollective.broadcast.agent.>", "mcollective.broadcast.service.>", "mcollective.node.@CERTNAME@"), sub);
        List<String> pub = ChoriaPermissions.publish(DEFAULTS, Role.NODE);
        assertTrue(pub.containsAll(List.of("mcollective.reply.>", "mcollective.broadcast.agent.registration", "choria.lifecycle.>",
                "choria.machine.transition", "choria.machine.watcher.>")), pub.toString());
        assertTrue(pub.stream().noneMatch(s -> s.startsWith("mcollective.broadcast.agent.>") || s.startsWith("mcollective.node.")), pub.toString());
        assertEquals(List.of("mcollective.reply.>"), ChoriaPermissions.subscribe(DEFAULTS, Role.PRIVILEGED));
    }

    @Test
    void everyCollectiveAndTheSpecsOwnSubjectsAreAdded() {
        AuthorizationSpec a = new AuthorizationSpec();
        a.setCollectives(List.of("mcollective", "eu"));
        a.getNodes().getSubscribe().add("mcollective.reply.>");
        a.getClients().getPublish().add("choria.\"odd\"");
        List<String> sub = ChoriaPermissions.subscribe(a, Role.NODE);
        assertTrue(sub.containsAll(List.of("mcollective.node.@CERTNAME@", "eu.node.@CERTNAME@", "mcollective.reply.>")), sub.toString());
        String template = ChoriaPermissions.template(a, Role.CLIENT);
        assertTrue(template.contains("\"choria.\\\"odd\\\"\""), "quoted for nats.conf: " + template);
        assertTrue(template.contains("\"eu.broadcast.agent.>\""), template);
    }

    @Test
    void theListTakesEntriesWithUsersAndRefusesAnythingElse() {
        String key = "b".repeat(64);
        PinnedList l = new PinnedList(1, "c".repeat(64), new TreeSet<>(List.of(key, ChoriaPermissions.entry("a".repeat(64), Role.NODE, "n1.example.net"))));
        Map<String, String> files = new java.util.HashMap<>();
        files.put(PinnedList.MANIFEST, l.renderManifest("ns", "c", DEFAULTS, List.of()));
        for (int i = 0; i < PinnedList.PARTS; i++) files.put(PinnedList.partFile(i), l.renderPart(i));
        assertEquals(l.keys(), PinnedList.read(files).keys(), "read back with its users (an operator restart keeps them)");
        assertThrows(IllegalArgumentException.class, () -> new PinnedList(1, "c".repeat(64), new TreeSet<>(List.of(key + " n two words"))));
        assertThrows(IllegalArgumentException.class, () -> new PinnedList(1, "c".repeat(64), new TreeSet<>(List.of(key + " n \"quoted\""))));
    }

    /** The rendered assembler writes the users the operator would: one per entry with a user, the sentinel first. */
    @Test
    void theAssemblerWritesEachEntrysUserFromItsRolesTemplate() throws Exception {
        BrokerPaths paths = new BrokerPaths(root.toString(), root + "/run/nats.pid", "127.0.0.1");
        TreeSet<String> entries = new TreeSet<>();
        entries.add(Digests.sha256Hex("brokers"));
        entries.add(ChoriaPermissions.entry(Digests.sha256Hex("n1"), Role.NODE, "n1.example.net"));
        entries.add(ChoriaPermissions.entry(Digests.sha256Hex("alice"), Role.CLIENT, "alice.mcollective"));
        entries.add(ChoriaPermissions.entry(Digests.sha256Hex("root"), Role.PRIVILEGED, "root.privileged.mcollective"));
        PinnedList l = new PinnedList(2, Digests.sha256Hex("epoch"), entries);
        Path parts = Files.createDirectories(Path.of(paths.pinnedPartsDir()));
        Files.createDirectories(Path.of(paths.pinnedDir()));
        for (int i = 0; i < PinnedList.PARTS; i++) Files.writeString(parts.resolve(PinnedList.partFile(i)), l.renderPart(i));
        Files.writeString(parts.resolve(PinnedList.MANIFEST), l.renderManifest("ns", "c", DEFAULTS, List.of()));
        Process p = new ProcessBuilder("sh", "-c", PinnedListAssembler.function(paths) + "assemble_pinned").redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
        List<String> users = Files.readString(Path.of(paths.pinnedDir(), ChoriaPermissions.USERS_FILE)).lines()
                .filter(x -> x.startsWith("  {")).map(String::strip).toList();
        List<String> expected = new java.util.ArrayList<>(List.of(ChoriaPermissions.noIdentity()));
        for (String e : entries) if (e.length() > 64) expected.add(ChoriaPermissions.user(DEFAULTS, e));
        assertEquals(new TreeSet<>(expected), new TreeSet<>(users));
        assertEquals(ChoriaPermissions.noIdentity(), users.get(0), "the sentinel first: the list is never empty");
        String pinned = Files.readString(Path.of(paths.pinnedFile()));
        assertEquals(5, pinned.lines().filter(x -> x.matches("  \"[0-9a-f]{64}\"")).count(), "every key once, and the epoch entry");

        // Without spec.authorization the manifest names no roles, and no users file is written.
        Files.delete(Path.of(paths.pinnedDir(), ChoriaPermissions.USERS_FILE));
        Files.writeString(parts.resolve(PinnedList.MANIFEST), l.renderManifest("ns", "c"));
        Process q = new ProcessBuilder("sh", "-c", PinnedListAssembler.function(paths) + "assemble_pinned").redirectErrorStream(true).start();
        assertTrue(q.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, q.exitValue());
        assertFalse(Files.exists(Path.of(paths.pinnedDir(), ChoriaPermissions.USERS_FILE)));
    }
}
