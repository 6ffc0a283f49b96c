package io.choria.natsoperator.puppet;

import io.choria.natsoperator.model.PinnedList;
import io.choria.natsoperator.pki.Digests;
import java.util.Collection;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The brokers' allow-list, as the {@code pinned_certs} file included in the client {@code tls}
 * block: the SPKI SHA-256 of every certificate the Puppet CA lists as signed (so not revoked),
 * sorted, so an unchanged inventory renders byte for byte the same file and nothing is written.
 * The operator carries it in parts ({@link #list}, {@link PinnedList}) that the pod assembles into
 * the file {@link #render} shows in one piece.
 *
 * <p>Two nats-server facts shape it (server/opts.go and server/reload.go, 2.9.10 and 2.10.24 alike):
 * <ul>
 *   <li>An empty list means no pinning at all. The list therefore always holds an
 *       {@code epoch} entry, a hash that matches no key: before the first sync it holds nothing
 *       else, and every node is refused (fail closed).</li>
 *   <li>On reload, connections already open are checked against the list <em>before</em> the
 *       reload (nats-io/nats-server#8679 fixed it in 2026), and only when the list changed. A
 *       revoked node's open connection is therefore closed by a second, different list once every
 *       broker has loaded the first: the operator then moves the epoch on ({@link #nextEpoch()}).</li>
 * </ul>
 */
public record PinnedKeys(SortedSet<String> admitted, long epoch) {
    public static final String FILE = "pinned_certs.conf";
    private static final Pattern PIN = Pattern.compile("\"([0-9a-f]{64})\"");
    private static final Pattern EPOCH = Pattern.compile("^# epoch (\\d+)$", Pattern.MULTILINE);

    public PinnedKeys {
        // Never changed once made: the carried list (PinnedList) shares it rather than holding a second sorted copy.
        admitted = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(admitted));
    }

    /** Before the first sync: nobody but the epoch entry, so every node is refused. */
    public static PinnedKeys none() {
        return new PinnedKeys(new TreeSet<>(), 0);
    }

    public PinnedKeys with(Collection<String> newAdmitted) {
        SortedSet<String> next = new TreeSet<>(newAdmitted);
        // The same list keeps its epoch, but holds the sync's key Strings from now on: a list read back after a restart
        // has its own copies (about 100 bytes a key per cluster), the sync's are one set shared by every cluster.
        return new PinnedKeys(next, next.equals(admitted) ? epoch : epoch + 1);
    }

    /** The same admitted keys under another epoch entry: a list that differs, for the close pass. */
    public PinnedKeys nextEpoch() {
        return new PinnedKeys(admitted, epoch + 1);
    }

    /** Keys admitted before and not now: their open connections need the close pass. */
    public boolean dropsAnyOf(PinnedKeys before) {
        return !admitted.containsAll(before.admitted);
    }

    public String render(String namespace, String cluster) {
        StringBuilder c = new StringBuilder(admitted.size() * 70 + 300);
        c.append("# Public keys (SPKI SHA-256) of the certificates the Puppet CA has signed and not revoked,\n")
                .append("# synced by nats-operator for ").append(namespace).append('/').append(cluster)
                .append(". The first entry matches no key: it marks the list's epoch.\n");
        c.append("# epoch ").append(epoch).append('\n');
        c.append("pinned_certs: [\n");
        c.append("  \"").append(epochPin(namespace, cluster, epoch)).append("\"\n");
        for (String pin : admitted) c.append("  \"").append(pin).append("\"\n");
        c.append("]\n");
        return c.toString();
    }

    /** The list as the operator carries it to the brokers, in parts (see {@link PinnedList}). */
    public PinnedList list(String namespace, String cluster) {
        return PinnedList.sharing(epoch, epochPin(namespace, cluster, epoch), admitted);
    }

    /** Reads back what was written in parts (the epoch entry is in the manifest, apart from the keys). */
    public static PinnedKeys of(PinnedList written) {
        return new PinnedKeys(written.keys(), written.epoch());
    }

    /** Reads back a rendered file (the last good list, e.g. after the operator restarted). */
    public static PinnedKeys parse(String rendered, String namespace, String cluster) {
        Matcher e = EPOCH.matcher(rendered);
        long epoch = e.find() ? Long.parseLong(e.group(1)) : 0;
        String marker = epochPin(namespace, cluster, epoch);
        Set<String> pins = new TreeSet<>();
        Matcher m = PIN.matcher(rendered);
        while (m.find()) if (!m.group(1).equals(marker)) pins.add(m.group(1));
        return new PinnedKeys(new TreeSet<>(pins), epoch);
    }

    static String epochPin(String namespace, String cluster, long epoch) {
        return Digests.sha256Hex("nats-operator pinned_certs epoch " + namespace + "/" + cluster + " " + epoch);
    }
}
