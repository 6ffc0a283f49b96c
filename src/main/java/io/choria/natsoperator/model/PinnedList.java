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
 */
public record PinnedList(long epoch, String epochPin, SortedSet<String> keys) {
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

    public PinnedList {
        if (!HEX64.matcher(epochPin).matches()) throw new IllegalArgumentException("the epoch entry must be 64 lower-case hex digits");
        keys = new TreeSet<>(keys);
        for (String k : keys) if (!ENTRY.matcher(k).matches()) throw new IllegalArgumentException("not a pinned key: " + k);
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
        List<String> part = part(i);
        StringBuilder b = new StringBuilder(part.size() * 65 + 40);
        b.append("version ").append(version(part)).append(' ').append(part.size()).append('\n');
        for (String k : part) b.append(k).append('\n');
        return b.toString();
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
        for (int i = 0; i < PARTS; i++) {
            List<String> part = part(i);
            b.append("part ").append(partName(i)).append(' ').append(version(part)).append(' ').append(part.size()).append('\n');
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
        return new PinnedList(Long.parseLong(n.group(1)), p.group(1), keys);
    }
}
