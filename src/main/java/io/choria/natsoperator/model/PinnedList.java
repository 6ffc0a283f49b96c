package io.choria.natsoperator.model;

import io.choria.natsoperator.pki.Digests;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The client port's allow-list as the operator carries it to the brokers: {@link #PARTS} part ConfigMaps, one per first hex
 * digit of the key (the keys are SHA-256 hashes, so the parts stay even, and a one-key change rewrites one part), and a
 * manifest that names the list's epoch entry and each part's version and size. One ConfigMap holds at most 1 MiB, about
 * 15,200 keys; sixteen parts carry about 240,000, and 100,000 keys fill each part to about 40 %.
 *
 * <p>Kubernetes updates each mounted ConfigMap on its own, seconds to a minute apart, so a pod can see a new part beside an
 * old manifest. The pod's assembler ({@link PinnedListAssembler}) therefore builds {@code pinned_certs} only when every part
 * has the version the manifest names, and always puts the epoch entry first: an empty {@code pinned_certs} would mean no
 * pinning at all in nats-server.
 *
 * <p>{@code epoch} counts the list's versions (see puppet.PinnedKeys); {@code epochPin} is the entry that matches no key.
 *
 * <p>With spec.authorization an entry is a key followed by the NATS user its certificate maps to ({@link ChoriaPermissions#entry}:
 * role, certname, reply hashes), and the manifest carries the roles' templates: the pod writes the users file from both.
 *
 * <p>Immutable, and renders each part once: the reconciler keeps one list per cluster until it changes
 * (sources.RevocationEnforcement), and every reconcile of that cluster builds its ConfigMaps from it. At 50,000 keys a
 * rendering is about 3 MB of text and a digest of it; ten enrolled clusters rendering theirs on every pass, eight at once, were
 * what took the operator past a 512Mi container (docs/BENCHMARKS.md, "The chart's 512Mi").
 */
public final class PinnedList {
    public static final int PARTS = 16;
    /** The manifest ConfigMap's key, and its file name in the pod's parts directory. */
    public static final String MANIFEST = "manifest";
    /** Each part ConfigMap's key. */
    public static final String PART_KEY = "keys";
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    /** A key, alone or with the user its certificate maps to (role, certname, and a client's reply hashes). */
    private static final Pattern ENTRY = Pattern.compile("[0-9a-f]{64}( [ncp] [A-Za-z0-9][A-Za-z0-9._-]*( [0-9a-f]{32} [0-9a-f]{64})?)?");
    private static final Pattern EPOCH_NUMBER = Pattern.compile("^# epoch (\\d+)$", Pattern.MULTILINE);
    private static final Pattern EPOCH_PIN = Pattern.compile("^epoch ([0-9a-f]{64})$", Pattern.MULTILINE);

    private final long epoch;
    private final String epochPin;
    private final SortedSet<String> keys;
    /** Each part's file and version, rendered on first use (the list never changes). */
    private String[] partTexts, versions;
    private int[] sizes;

    /** A list over a sorted copy of {@code keys}. */
    public PinnedList(long epoch, String epochPin, java.util.Collection<String> keys) {
        this(epoch, epochPin, java.util.Collections.unmodifiableSortedSet(new TreeSet<>(keys)));
    }

    /**
     * A list over {@code keys} as they are, not copied: an unmodifiable, naturally sorted set that no one changes (puppet.PinnedKeys
     * holds one per cluster; at 50,000 keys a second sorted copy is 2 MB per enrolled cluster).
     */
    public static PinnedList sharing(long epoch, String epochPin, SortedSet<String> keys) {
        if (keys.comparator() != null) throw new IllegalArgumentException("the keys must be in their natural order");
        return new PinnedList(epoch, epochPin, keys);
    }

    private PinnedList(long epoch, String epochPin, SortedSet<String> keys) {
        if (!HEX64.matcher(epochPin).matches()) throw new IllegalArgumentException("the epoch entry must be 64 lower-case hex digits");
        this.epoch = epoch;
        this.epochPin = epochPin;
        Matcher entry = ENTRY.matcher("");
        for (String k : keys) if (!entry.reset(k).matches()) throw new IllegalArgumentException("not a pinned key: " + k);
        this.keys = keys;
    }

    public long epoch() {
        return epoch;
    }

    public String epochPin() {
        return epochPin;
    }

    public SortedSet<String> keys() {
        return keys;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PinnedList l && l.epoch == epoch && l.epochPin.equals(epochPin) && l.keys.equals(keys);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(epoch, epochPin, keys.size());
    }

    @Override
    public String toString() {
        return "PinnedList[epoch=" + epoch + ", " + keys.size() + " keys]";
    }

    /** Renders every part once: its file (a version line, then one key a line), its version and its size. */
    private synchronized void render() {
        if (partTexts != null) return;
        String[] texts = new String[PARTS], vs = new String[PARTS];
        int[] ns = new int[PARTS];
        for (int i = 0; i < PARTS; i++) {
            List<String> part = part(i);
            vs[i] = version(part);
            ns[i] = part.size();
            StringBuilder b = new StringBuilder(part.size() * 65 + 40);
            b.append("version ").append(vs[i]).append(' ').append(part.size()).append('\n');
            for (String k : part) b.append(k).append('\n');
            // Held once with the equal parts of other clusters on the same Puppet CA, and with the informer's copies.
            texts[i] = SharedText.share(b.toString());
        }
        versions = vs;
        sizes = ns;
        partTexts = texts;
    }

    /** The part a key goes to: its first hex digit. */
    public static String partName(int i) {
        return Integer.toHexString(i);
    }

    /** The file a part is projected to in the pod's parts directory. */
    public static String partFile(int i) {
        return "part-" + partName(i);
    }

    /** The keys of part {@code i}, sorted. */
    public List<String> part(int i) {
        String prefix = partName(i);
        return new ArrayList<>(keys.subSet(prefix, partName(i) + "g"));
    }

    /** A part's file: a version line (what the manifest names), then one key a line. */
    public String renderPart(int i) {
        render();
        return partTexts[i];
    }

    /** The manifest: the epoch (as a number for the operator, as the entry for the brokers), the part count, each part's version and size. */
    public String renderManifest(String namespace, String cluster) {
        return renderManifest(namespace, cluster, null, List.of());
    }

    /**
     * {@code authorization}: spec.authorization (null: off), whose role templates the pod writes the users file from;
     * {@code moreUsers}: entries written before the nodes' (the operator's own, with Choria Streams).
     */
    public String renderManifest(String namespace, String cluster, io.choria.natsoperator.api.AuthorizationSpec authorization,
            List<String> moreUsers) {
        StringBuilder b = new StringBuilder(1200);
        b.append("# The pinned_certs allow-list of ").append(namespace).append('/').append(cluster).append(", rendered by nats-operator: ")
                .append(keys.size()).append(" keys in ").append(PARTS).append(" parts.\n")
                .append("# The brokers assemble it only when every part has the version named here.\n");
        b.append("# epoch ").append(epoch).append('\n');
        b.append("epoch ").append(epochPin).append('\n');
        b.append("parts ").append(PARTS).append('\n');
        render();
        for (int i = 0; i < PARTS; i++) {
            b.append("part ").append(partName(i)).append(' ').append(versions[i]).append(' ').append(sizes[i]).append('\n');
        }
        if (authorization != null) {
            b.append("users ").append(ChoriaPermissions.noIdentity()).append('\n');
            for (String u : moreUsers) b.append("users ").append(u).append('\n');
            for (ChoriaPermissions.Role r : ChoriaPermissions.Role.values()) {
                b.append("role ").append(r.code).append(' ').append(ChoriaPermissions.template(authorization, r)).append('\n');
            }
        }
        return b.toString();
    }

    /** A part's version: the first 16 hex digits of the SHA-256 of its keys. */
    static String version(List<String> part) {
        return Digests.sha256Hex(String.join("\n", part)).substring(0, 16);
    }

    /**
     * Reads back what was written (the list in force, e.g. after the operator restarted): {@code files} maps the manifest's
     * and the parts' file names ({@link #MANIFEST}, {@link #partFile}) to their content, absent when not written. The keys of
     * every part present are read, whatever their version. Null without a manifest.
     */
    public static PinnedList read(Map<String, String> files) {
        String manifest = files.get(MANIFEST);
        if (manifest == null) return null;
        Matcher n = EPOCH_NUMBER.matcher(manifest);
        Matcher p = EPOCH_PIN.matcher(manifest);
        if (!n.find() || !p.find()) return null;
        SortedSet<String> keys = new TreeSet<>();
        for (int i = 0; i < PARTS; i++) {
            String part = files.get(partFile(i));
            if (part == null) continue;
            part.lines().filter(l -> ENTRY.matcher(l).matches()).forEach(keys::add);
        }
        return sharing(Long.parseLong(n.group(1)), p.group(1), java.util.Collections.unmodifiableSortedSet(keys));
    }
}
