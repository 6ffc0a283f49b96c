package io.choria.natsoperator.sources;

import io.choria.natsoperator.status.Observation;

import io.choria.natsoperator.api.PuppetEnrolmentSpec;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsConfig;
import io.choria.natsoperator.model.PinnedList;
import io.choria.natsoperator.puppet.NodeIdentities;
import io.choria.natsoperator.puppet.PinnedCertnames;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.puppet.InventorySync;
import io.choria.natsoperator.puppet.PinnedKeys;
import io.choria.natsoperator.puppet.PortPins;
import io.choria.natsoperator.model.PortPinnedCerts;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.puppet.PuppetCaException;
import io.choria.natsoperator.puppet.PuppetInventory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each enrolled cluster's pinned_certs in step with its Puppet CA. The sync itself runs beside the reconcile
 * ({@link PuppetInventory}: every {@code syncIntervalSeconds}, with the brokers' own certificate as the client identity
 * that auth.conf allows on certificate_statuses, shared by the clusters naming the same CA); a reconcile only reads its
 * latest result, and a sync that changes a cluster's result reconciles that cluster. When Puppet cannot be asked, the
 * last good list (as written in the config ConfigMap) stays in force; once it is older than {@code maxSyncAgeSeconds}
 * the RevocationEnforced condition says RevocationListTooOld. After a sync that drops keys, and once every broker has
 * loaded that list, the epoch moves on so that the brokers close the connections the dropped keys still hold (see
 * {@link PinnedKeys}).
 */
public final class RevocationEnforcement {
    private static final Logger LOG = LoggerFactory.getLogger(RevocationEnforcement.class);
    /** While a close pass waits for the brokers to load the shrunk list, look again this soon. */
    public static final Duration CLOSE_PASS_POLL = Duration.ofSeconds(3);

    /**
     * The pinned files to render (client port; leafnode and gateway ports), the RevocationEnforced verdict, and when to
     * look again (null: no need, a changed sync result reconciles the cluster by itself).
     */
    public record Outcome(PinnedList pinned, PortPinnedCerts ports, Observation.RevocationObservation observation, Instant wakeAt) {}

    /**
     * {@code lastSync}: the last good sync applied ({@code last} its result). {@code heldSince}: when this operator first
     * held the list; before a sync of its own, the list read back from the ConfigMap is at least that old.
     * {@code listChangedAt}: the sync that last changed the list in force (null: not since this operator started).
     * {@code ownPin}: the brokers' own key when the list was cut (a new certificate changes the list). {@code certnames}: what
     * spec.tls.puppet.pinnedCertnames when the list was cut (null: every certificate).
     */
    private record State(PinnedKeys pins, Instant lastSync, InventorySync.Result last, Instant shrunkAt, String problem, Reason problemReason,
            java.util.Set<java.math.BigInteger> crlSerials, Instant heldSince, Instant listChangedAt, String ownPin, boolean answered,
            String certnames) {
        State(PinnedKeys pins, Instant lastSync, InventorySync.Result last, Instant shrunkAt, String problem, Reason problemReason,
                java.util.Set<java.math.BigInteger> crlSerials, Instant heldSince, Instant listChangedAt, String ownPin, boolean answered) {
            this(pins, lastSync, last, shrunkAt, problem, problemReason, crlSerials, heldSince, listChangedAt, ownPin, answered, null);
        }
    }

    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final PuppetInventory inventory;

    private final Map<String, Instant> brokersLoaded = new ConcurrentHashMap<>();
    private final Map<String, HeldList> lists = new ConcurrentHashMap<>();
    /** spec.authorization: the users cut from the last sync, as the status says them. */
    private final Map<String, NodeIdentities> identities = new ConcurrentHashMap<>();

    public RevocationEnforcement(PuppetInventory inventory) {
        this.inventory = inventory;
    }

    /**
     * Whether the brokers' own certificate (serial, hex) is on the CA's CRL as of the last sync: an
     * admin cleaned or revoked its certname. Enrolment then asks for a new one instead of serving
     * a certificate Puppet no longer vouches for (and that Puppet refuses as a client).
     */
    public boolean revoked(String uid, String serialHex) {
        State s = states.get(uid);
        return s != null && serialHex != null && s.crlSerials.contains(new java.math.BigInteger(serialHex, 16));
    }

    /** What the last mesh check saw: every broker has loaded its configuration since this time. */
    public void observed(String uid, MeshObservation mesh) {
        if (mesh != null && mesh.oldestConfigLoad() != null) brokersLoaded.put(uid, mesh.oldestConfigLoad());
    }

    /**
     * {@code previous}: the RevocationEnforced condition as the cluster's status has it. Until the first sync answers
     * for this cluster (after an operator restart, or for a new certificate) the list in force is the one last written,
     * and the condition that described it stays as it is, rather than flapping to "pending" and back on every restart.
     * {@code onChange}: how the inventory asks for a reconcile of this cluster when its result changes. {@code liveConfigMaps}:
     * the cluster's ConfigMaps as written, by name (the pinned list's parts, read back after a restart).
     */
    public Outcome pins(String uid, Names names, NatsClusterSpec cluster, TrustBundle bundle, TlsFiles identity,
            java.util.function.Function<String, ConfigMap> liveConfigMaps,
            io.fabric8.kubernetes.api.model.apps.StatefulSet liveStatefulSet, Instant now, io.fabric8.kubernetes.api.model.Condition previous,
            Runnable onChange) {
        PuppetEnrolmentSpec spec = cluster.getTls().getPuppet();
        Duration interval = Duration.ofSeconds(spec.getSyncIntervalSeconds());
        State s = states.computeIfAbsent(uid, u -> new State(lastWritten(liveConfigMaps, names), null, null, null, null, null,
                java.util.Set.of(), now, null, null, false));
        PuppetInventory.View view = inventory.latest(uid, new PuppetInventory.Subscription(URI.create(spec.getUrl()), bundle,
                identity.certificateChainPem(), identity.privateKeyPem(), interval, onChange));
        s = apply(uid, s, view, names, identity, cluster, now);
        if (s.shrunkAt != null && closePassDue(s.shrunkAt, brokersLoaded.get(uid), interval, now)) {
            LOG.info("{}/{}: every broker loaded the list without the dropped keys; moving its epoch on to close their connections",
                    names.namespace(), names.cluster());
            s = new State(s.pins.nextEpoch(), s.lastSync, s.last, null, s.problem, s.problemReason, s.crlSerials, s.heldSince,
                    s.listChangedAt, s.ownPin, s.answered, s.certnames);
        }
        states.put(uid, s);
        Instant wake = s.shrunkAt != null ? now.plus(CLOSE_PASS_POLL) : null;
        // Wake up when the kept list becomes too old, so that the condition says so then, not at the next attempt.
        Instant tooOldAt = tooOldAt(s, spec);
        if (tooOldAt != null && now.isBefore(tooOldAt) && (wake == null || tooOldAt.isBefore(wake))) wake = tooOldAt;
        // Cut from the last sync each time, so that an edited spec (another edge, another site) takes effect at once; before
        // any sync, the lists as last written stay in force.
        PortPins ports = s.last != null ? PortPins.of(cluster, names, s.last.namesByKey()) : PortPins.parse(brokerEnv(liveStatefulSet), cluster);
        Observation.RevocationObservation observation = s.answered ? observation(s, spec, now, identities.get(uid)) : pending(s, spec, previous);
        return new Outcome(list(uid, s.pins, names), ports.render(names.namespace(), names.cluster()), observation, wake);
    }

    /** The list carried for {@code pins}, made once per change of it: every reconcile builds the cluster's ConfigMaps from it. */
    private PinnedList list(String uid, PinnedKeys pins, Names names) {
        return lists.compute(uid, (u, held) -> held != null && held.source() == pins ? held
                : new HeldList(pins, pins.list(names.namespace(), names.cluster()))).list();
    }

    private record HeldList(PinnedKeys source, PinnedList list) {}

    /** Drops the state of NatsClusters that are gone (called with the resync period), and their Puppet subscriptions. */
    public void retainOnly(java.util.Set<String> uids) {
        states.keySet().retainAll(uids);
        lists.keySet().retainAll(uids);
        brokersLoaded.keySet().retainAll(uids);
        identities.keySet().retainAll(uids);
        inventory.retainOnly(uids);
    }

    /** A cluster that no longer enforces revocation: its state and its subscription go. */
    public void forget(String uid) {
        states.remove(uid);
        lists.remove(uid);
        brokersLoaded.remove(uid);
        identities.remove(uid);
        inventory.forget(uid);
    }

    /**
     * For the metrics: the last successful sync and the size of the allow-list (null before a first sync), and the limit on
     * the list's age; null when not enforced or not yet looked at.
     */
    public io.choria.natsoperator.metrics.ClusterSnapshot.Revocation figures(String uid, io.choria.natsoperator.api.NatsCluster nc) {
        var tls = nc.getSpec().getTls();
        if (tls == null || tls.getPuppet() == null || !Boolean.TRUE.equals(tls.getPuppet().getEnforceRevocation())) return null;
        State s = states.get(uid);
        if (s == null) return null;
        return new io.choria.natsoperator.metrics.ClusterSnapshot.Revocation(s.lastSync, s.lastSync == null ? null : s.pins.admitted().size(),
                Duration.ofSeconds(maxSyncAgeSeconds(tls.getPuppet())));
    }

    /** The inventory's view folded into this cluster's state: a new good sync cuts the list again; a problem is kept as said. */
    private State apply(String uid, State s, PuppetInventory.View view, Names names, TlsFiles identity, NatsClusterSpec cluster, Instant now) {
        String certnames = cut(cluster);
        java.util.Set<java.math.BigInteger> crlSerials = view.crlSerials().isEmpty() ? s.crlSerials : view.crlSerials();
        if (view.pending()) {
            return new State(s.pins, s.lastSync, s.last, s.shrunkAt, s.problem, s.problemReason, crlSerials, s.heldSince, s.listChangedAt,
                    s.ownPin, s.answered, s.certnames);
        }
        PinnedKeys pins = s.pins;
        Instant lastSync = s.lastSync;
        InventorySync.Result last = s.last;
        Instant shrunk = s.shrunkAt;
        Instant changedAt = s.listChangedAt;
        String ownPin = s.ownPin;
        String problem = view.problem();
        Reason reason = problem == null ? null
                : view.problemKind() == PuppetCaException.Kind.FORBIDDEN ? Reason.PuppetInventoryForbidden : Reason.RevocationStale;
        if (view.result() != null) {
            String own;
            try {
                own = TrustBundle.publicKeyPin(identity.certificateChainPem());
            } catch (io.choria.natsoperator.pki.PkiException e) {
                return new State(s.pins, s.lastSync, s.last, s.shrunkAt, "the brokers' certificate cannot be used to ask the Puppet CA: "
                        + e.getMessage(), Reason.RevocationStale, crlSerials, s.heldSince, s.listChangedAt, s.ownPin, true, s.certnames);
            }
            if (view.result() != s.last || !own.equals(s.ownPin) || !java.util.Objects.equals(certnames, s.certnames)) {
                // The brokers' own key is always admitted: a list is never empty (empty means no pinning at all).
                java.util.Set<String> admitted = PinnedCertnames.admitted(view.result(), cluster.getTls().getPuppet().getPinnedCertnames());
                admitted.add(own);
                if (cluster.getAuthorization() != null) {
                    // spec.authorization: each key's entry names the user its certificate maps to; a certificate that maps to
                    // no user of its own is dropped (see NodeIdentities), and the status says which.
                    NodeIdentities ids = NodeIdentities.of(view.result(), admitted, cluster.getAuthorization(), own);
                    admitted = ids.entries();
                    identities.put(uid, ids);
                } else {
                    identities.remove(uid);
                }
                PinnedKeys next = s.pins.with(admitted);
                if (next.epoch() != s.pins.epoch()) {
                    if (next.dropsAnyOf(s.pins)) shrunk = now; // brokers that loaded config since then have the shrunk list
                    changedAt = view.syncedAt();
                    InventorySync.Result r = view.result();
                    LOG.info("{}/{}: Puppet CA inventory: {} signed, {} not signed, CRL {}; pinned list epoch {} ({} keys; {} certificates fetched in {} ms)",
                            names.namespace(), names.cluster(), r.signed(), r.revoked(), r.crlNumber(), next.epoch(), next.admitted().size(),
                            r.fetched(), r.took().toMillis());
                }
                pins = next;
                last = view.result();
                ownPin = own;
            }
            lastSync = view.syncedAt();
        }
        return new State(pins, lastSync, last, shrunk, problem, reason, crlSerials, s.heldSince, changedAt, ownPin, true,
                view.result() != null ? certnames : s.certnames);
    }

    /**
     * Before the first answer for this cluster: the condition the status already has (it describes the list still in
     * force), or, for a new cluster, that the first sync is under way.
     */
    private static Observation.RevocationObservation pending(State s, PuppetEnrolmentSpec spec, io.fabric8.kubernetes.api.model.Condition previous) {
        if (previous != null && previous.getReason() != null) {
            try {
                return new Observation.RevocationObservation("True".equals(previous.getStatus()), Reason.valueOf(previous.getReason()),
                        previous.getMessage(), null, null);
            } catch (IllegalArgumentException unknownReason) {
                // written by another version: say what this one knows
            }
        }
        String admits = s.pins.admitted().isEmpty() ? "the brokers admit no node (fail closed)"
                : "the last written list (" + s.pins.admitted().size() + " keys) stays in force";
        return new Observation.RevocationObservation(false, Reason.RevocationSyncPending, "the first sync with the Puppet CA " + spec.getUrl()
                + " is under way; until it answers " + admits, null, null);
    }

    private static boolean closePassDue(Instant shrunkAt, Instant brokersLoaded, Duration interval, Instant now) {
        if (brokersLoaded != null && !brokersLoaded.isBefore(shrunkAt)) return true;
        // Brokers whose clocks run behind, or a mesh the operator cannot see: do it anyway after a while.
        Duration fallback = interval.multipliedBy(2).compareTo(Duration.ofSeconds(60)) > 0 ? interval.multipliedBy(2) : Duration.ofSeconds(60);
        return !now.isBefore(shrunkAt.plus(fallback));
    }

    /**
     * When the list in force becomes too old (spec.tls.puppet.maxSyncAgeSeconds) while Puppet cannot be asked: from its sync,
     * or, for a list read back from the ConfigMap, from when this operator first held it (the list is at least that old).
     * Null when Puppet answers (the list is then at most one interval old) or when no list is held (every node is refused).
     */
    private static Instant tooOldAt(State s, PuppetEnrolmentSpec spec) {
        if (s.problem == null || s.pins.admitted().isEmpty()) return null;
        return (s.lastSync != null ? s.lastSync : s.heldSince).plus(Duration.ofSeconds(maxSyncAgeSeconds(spec)));
    }

    /** spec.tls.puppet.maxSyncAgeSeconds as SpecDefaults fills it (here too for a spec that did not go through it). */
    public static int maxSyncAgeSeconds(PuppetEnrolmentSpec spec) {
        return spec.getMaxSyncAgeSeconds() != null ? spec.getMaxSyncAgeSeconds()
                : PuppetEnrolmentSpec.defaultMaxSyncAgeSeconds(spec.getSyncIntervalSeconds());
    }

    private static Observation.RevocationObservation observation(State s, PuppetEnrolmentSpec spec, Instant now, NodeIdentities identities) {
        if (s.problem != null) {
            // Instants, never a running age ("7m12s old"): status is written only when it changes, and an age would change
            // it on every reconcile. The message changes once more, when the list becomes too old (RevocationListTooOld, a
            // reconcile is woken for it); the age itself is the metric natscluster_revocation_sync_age_seconds.
            Instant tooOldAt = tooOldAt(s, spec);
            if (tooOldAt == null) {
                return new Observation.RevocationObservation(false, s.problemReason,
                        s.problem + "; no list synced yet, so the brokers admit no node (fail closed)", s.listChangedAt, s.lastSync);
            }
            String held = s.last != null ? "the list synced at " + s.lastSync + " (" + s.pins.admitted().size() + " keys)"
                    : "the last written list (" + s.pins.admitted().size() + " keys), synced before this operator started at " + s.heldSince + ",";
            String limit = "maxSyncAgeSeconds " + maxSyncAgeSeconds(spec);
            if (now.isBefore(tooOldAt)) {
                return new Observation.RevocationObservation(false, s.problemReason, s.problem + "; " + held
                        + " stays in force; it becomes too old at " + tooOldAt + " (" + limit + ")", s.listChangedAt, s.lastSync);
            }
            // The cause (unreachable, forbidden, a bad CRL) stays in the message; the reason says what it means by now.
            return new Observation.RevocationObservation(false, Reason.RevocationListTooOld, s.problem + "; " + held
                    + " stays in force, too old since " + tooOldAt + " (" + limit + "): nodes revoked in Puppet since "
                    + (s.lastSync != null ? s.lastSync : "that sync") + " still get in", s.listChangedAt, s.lastSync);
        }
        String closing = s.shrunkAt != null ? "; closing connections of keys dropped at " + s.shrunkAt : "";
        // No sync time here: a sync that finds the same list must not rewrite the status. When the list last changed is
        // status.revocationListSyncedAt; how fresh it is, the metric natscluster_revocation_sync_age_seconds.
        return new Observation.RevocationObservation(true, Reason.RevocationEnforced, "brokers admit the " + s.last.signed()
                + " certificates the Puppet CA lists as signed (" + s.pins.admitted().size() + " keys, CRL number " + s.last.crlNumber()
                + "), synced every " + spec.getSyncIntervalSeconds() + "s" + (identities != null ? "; " + identities.summary() : "") + closing,
                s.listChangedAt, s.lastSync, identities != null ? identities.users() : -1);
    }

    /**
     * What the list is cut by besides the sync: spec.tls.puppet.pinnedCertnames and spec.authorization's role patterns (a change
     * of either cuts it again at once). The role templates are not in it: they are rendered into the manifest on every pass.
     */
    private static String cut(NatsClusterSpec cluster) {
        String certnames = String.valueOf(cluster.getTls().getPuppet().getPinnedCertnames());
        var a = cluster.getAuthorization();
        return a == null ? certnames : certnames + "\n" + a.getPrivilegedCertnames() + "\n" + a.getClientCertnames();
    }

    /** The broker container's literal environment in the live StatefulSet (empty when there is none yet). */
    private static Map<String, String> brokerEnv(io.fabric8.kubernetes.api.model.apps.StatefulSet sts) {
        Map<String, String> env = new java.util.HashMap<>();
        if (sts == null || sts.getSpec() == null || sts.getSpec().getTemplate() == null || sts.getSpec().getTemplate().getSpec() == null) return env;
        for (var c : sts.getSpec().getTemplate().getSpec().getContainers()) {
            if (!io.choria.natsoperator.model.BrokerStatefulSet.CONTAINER.equals(c.getName()) || c.getEnv() == null) continue;
            for (var e : c.getEnv()) if (e.getValue() != null) env.put(e.getName(), e.getValue());
        }
        return env;
    }

    /**
     * The list last written: its manifest and parts, or (written by a version before the parts) the one file beside nats.conf.
     * A part the API server refused leaves an older part in place: what is read is then the union of what was written.
     */
    static PinnedKeys lastWritten(java.util.function.Function<String, ConfigMap> configMaps, Names names) {
        Map<String, String> files = new java.util.HashMap<>();
        data(configMaps.apply(names.pinnedListManifest()), PinnedList.MANIFEST).ifPresent(m -> files.put(PinnedList.MANIFEST, m));
        for (int i = 0; i < PinnedList.PARTS; i++) {
            int part = i;
            data(configMaps.apply(names.pinnedListPart(i)), PinnedList.PART_KEY).ifPresent(p -> files.put(PinnedList.partFile(part), p));
        }
        PinnedList written = PinnedList.read(files);
        if (written != null) return PinnedKeys.of(written);
        return data(configMaps.apply(names.configMap()), NatsConfig.PINNED_CERTS_FILE)
                .map(file -> PinnedKeys.parse(file, names.namespace(), names.cluster())).orElse(PinnedKeys.none());
    }

    private static java.util.Optional<String> data(ConfigMap cm, String key) {
        return cm == null || cm.getData() == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(cm.getData().get(key));
    }
}
