package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.api.PuppetEnrolmentSpec;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsConfig;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.puppet.InventorySync;
import io.choria.natsoperator.puppet.PinnedKeys;
import io.choria.natsoperator.puppet.PortPins;
import io.choria.natsoperator.model.PortPinnedCerts;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.puppet.PuppetCaClient;
import io.choria.natsoperator.puppet.PuppetCaException;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each enrolled cluster's pinned_certs in step with its Puppet CA: a sync every
 * {@code syncIntervalSeconds}, with the brokers' own certificate as the client identity that
 * auth.conf allows on certificate_statuses. When Puppet cannot be asked, the last good list (as
 * written in the config ConfigMap) stays in force, asked again every interval; once it is older than
 * {@code maxSyncAgeSeconds} the RevocationEnforced condition says RevocationListTooOld. After a sync that drops keys, and once every
 * broker has loaded that list, the epoch moves on so that the brokers close the connections the
 * dropped keys still hold (see {@link PinnedKeys}).
 */
final class RevocationEnforcement {
    private static final Logger LOG = LoggerFactory.getLogger(RevocationEnforcement.class);
    /** While a close pass waits for the brokers to load the shrunk list, look again this soon. */
    static final Duration CLOSE_PASS_POLL = Duration.ofSeconds(3);

    /** The pinned files to render (client port; leafnode and gateway ports), the RevocationEnforced verdict, and when to look again. */
    record Outcome(String pinnedFile, PortPinnedCerts ports, Observation.RevocationObservation observation, Instant wakeAt) {}

    /**
     * {@code lastAttempt}: the last time Puppet was asked, whatever it answered ({@code lastSync} is the last good answer).
     * {@code heldSince}: when this operator first held the list; before a sync of its own, the list read back from the
     * ConfigMap is at least that old.
     */
    private record State(PinnedKeys pins, Instant lastSync, InventorySync.Result last, Instant shrunkAt, String problem, Reason problemReason,
            java.util.Set<java.math.BigInteger> crlSerials, Instant lastAttempt, Instant heldSince) {}

    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final Map<String, InventorySync> syncs = new ConcurrentHashMap<>();

    private final Map<String, Instant> brokersLoaded = new ConcurrentHashMap<>();

    /**
     * Whether the brokers' own certificate (serial, hex) is on the CA's CRL as of the last sync: an
     * admin cleaned or revoked its certname. Enrolment then asks for a new one instead of serving
     * a certificate Puppet no longer vouches for (and that Puppet refuses as a client).
     */
    boolean revoked(String uid, String serialHex) {
        State s = states.get(uid);
        return s != null && serialHex != null && s.crlSerials.contains(new java.math.BigInteger(serialHex, 16));
    }

    /** What the last mesh check saw: every broker has loaded its configuration since this time. */
    void observed(String uid, MeshObservation mesh) {
        if (mesh != null && mesh.oldestConfigLoad() != null) brokersLoaded.put(uid, mesh.oldestConfigLoad());
    }

    Outcome pins(String uid, Names names, NatsClusterSpec cluster, TrustBundle bundle, TlsFiles identity, ConfigMap liveConfig,
            io.fabric8.kubernetes.api.model.apps.StatefulSet liveStatefulSet, Instant now) {
        PuppetEnrolmentSpec spec = cluster.getTls().getPuppet();
        Duration interval = Duration.ofSeconds(spec.getSyncIntervalSeconds());
        State s = states.computeIfAbsent(uid, u -> new State(lastWritten(liveConfig, names), null, null, null, null, null, java.util.Set.of(), null, now));
        // Counted from the last attempt, not the last success: while Puppet is down it is asked once an interval, not on
        // every reconcile (each Event, each resync) nor every second.
        boolean due = s.lastAttempt == null || !now.isBefore(s.lastAttempt.plus(interval));
        if (due) s = sync(s, names, spec, bundle, identity, now);
        if (s.shrunkAt != null && closePassDue(s.shrunkAt, brokersLoaded.get(uid), interval, now)) {
            LOG.info("{}/{}: every broker loaded the list without the dropped keys; moving its epoch on to close their connections",
                    names.namespace(), names.cluster());
            s = new State(s.pins.nextEpoch(), s.lastSync, s.last, null, s.problem, s.problemReason, s.crlSerials, s.lastAttempt, s.heldSince);
        }
        states.put(uid, s);
        Instant wake = s.shrunkAt != null ? now.plus(CLOSE_PASS_POLL) : s.lastAttempt.plus(interval);
        // Wake up when the kept list becomes too old, so that the condition says so then, not at the next attempt.
        Instant tooOldAt = tooOldAt(s, spec);
        if (tooOldAt != null && now.isBefore(tooOldAt) && tooOldAt.isBefore(wake)) wake = tooOldAt;
        // Cut from the last sync each time, so that an edited spec (another edge, another site) takes effect at once; before
        // any sync, the lists as last written stay in force.
        PortPins ports = s.last != null ? PortPins.of(cluster, names, s.last.namesByKey()) : PortPins.parse(brokerEnv(liveStatefulSet), cluster);
        return new Outcome(s.pins.render(names.namespace(), names.cluster()), ports.render(names.namespace(), names.cluster()), observation(s, spec, now), wake);
    }

    /** Drops the state of NatsClusters that are gone (called with the resync period). */
    void retainOnly(java.util.Set<String> uids) {
        states.keySet().retainAll(uids);
        brokersLoaded.keySet().retainAll(uids);
    }

    /**
     * For the metrics: the last successful sync and the size of the allow-list (null before a first sync), and the limit on
     * the list's age; null when not enforced or not yet looked at.
     */
    io.choria.natsoperator.metrics.ClusterSnapshot.Revocation figures(String uid, io.choria.natsoperator.api.NatsCluster nc) {
        var tls = nc.getSpec().getTls();
        if (tls == null || tls.getPuppet() == null || !Boolean.TRUE.equals(tls.getPuppet().getEnforceRevocation())) return null;
        State s = states.get(uid);
        if (s == null) return null;
        return new io.choria.natsoperator.metrics.ClusterSnapshot.Revocation(s.lastSync, s.lastSync == null ? null : s.pins.admitted().size(),
                Duration.ofSeconds(maxSyncAgeSeconds(tls.getPuppet())));
    }

    private State sync(State s, Names names, PuppetEnrolmentSpec spec, TrustBundle bundle, TlsFiles identity, Instant now) {
        java.util.Set<java.math.BigInteger> crlSerials = s.crlSerials;
        try {
            // The CRL first, anonymously: even when Puppet refuses the brokers' certificate (its certname was
            // cleaned), the operator learns that it must enrol again.
            List<java.security.cert.X509CRL> crls = InventorySync.verifiedCrls(
                    PuppetCaClient.anonymous(URI.create(spec.getUrl()), bundle.pem()).crl(), bundle, now);
            crlSerials = InventorySync.revokedSerials(crls);
            PuppetCaClient client = PuppetCaClient.authenticated(URI.create(spec.getUrl()), bundle.pem(),
                    identity.certificateChainPem(), identity.privateKeyPem());
            InventorySync.Result r = syncs.computeIfAbsent(spec.getUrl(), u -> new InventorySync()).sync(client, crls);
            // The brokers' own key is always admitted: a list is never empty (empty means no pinning at all).
            java.util.Set<String> admitted = new java.util.HashSet<>(r.admitted());
            admitted.add(TrustBundle.publicKeyPin(identity.certificateChainPem()));
            PinnedKeys next = s.pins.with(admitted);
            Instant shrunk = next != s.pins && next.dropsAnyOf(s.pins) ? now : s.shrunkAt;
            if (next != s.pins) {
                LOG.info("{}/{}: Puppet CA inventory: {} signed, {} not signed, CRL {}; pinned list epoch {} ({} keys; {} certificates fetched in {} ms)",
                        names.namespace(), names.cluster(), r.signed(), r.revoked(), r.crlNumber(), next.epoch(), next.admitted().size(),
                        r.fetched(), r.took().toMillis());
            }
            return new State(next, now, r, shrunk, null, null, crlSerials, now, s.heldSince);
        } catch (PuppetCaException e) {
            Reason reason = e.kind() == PuppetCaException.Kind.FORBIDDEN ? Reason.PuppetInventoryForbidden : Reason.RevocationStale;
            return new State(s.pins, s.lastSync, s.last, s.shrunkAt, e.getMessage(), reason, crlSerials, now, s.heldSince);
        } catch (java.security.GeneralSecurityException | io.choria.natsoperator.pki.PkiException e) {
            return new State(s.pins, s.lastSync, s.last, s.shrunkAt, "the brokers' certificate cannot be used to ask the Puppet CA: "
                    + e.getMessage(), Reason.RevocationStale, crlSerials, now, s.heldSince);
        }
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
    static int maxSyncAgeSeconds(PuppetEnrolmentSpec spec) {
        return spec.getMaxSyncAgeSeconds() != null ? spec.getMaxSyncAgeSeconds()
                : PuppetEnrolmentSpec.defaultMaxSyncAgeSeconds(spec.getSyncIntervalSeconds());
    }

    private static Observation.RevocationObservation observation(State s, PuppetEnrolmentSpec spec, Instant now) {
        if (s.problem != null) {
            // Instants, never a running age ("7m12s old"): status is written only when it changes, and an age would change
            // it on every reconcile. The message changes once more, when the list becomes too old (RevocationListTooOld, a
            // reconcile is woken for it); the age itself is the metric natscluster_revocation_sync_age_seconds.
            Instant tooOldAt = tooOldAt(s, spec);
            if (tooOldAt == null) {
                return new Observation.RevocationObservation(false, s.problemReason,
                        s.problem + "; no list synced yet, so the brokers admit no node (fail closed)");
            }
            String held = s.last != null ? "the list synced at " + s.lastSync + " (" + s.pins.admitted().size() + " keys)"
                    : "the last written list (" + s.pins.admitted().size() + " keys), synced before this operator started at " + s.heldSince + ",";
            String limit = "maxSyncAgeSeconds " + maxSyncAgeSeconds(spec);
            if (now.isBefore(tooOldAt)) {
                return new Observation.RevocationObservation(false, s.problemReason, s.problem + "; " + held
                        + " stays in force; it becomes too old at " + tooOldAt + " (" + limit + ")");
            }
            // The cause (unreachable, forbidden, a bad CRL) stays in the message; the reason says what it means by now.
            return new Observation.RevocationObservation(false, Reason.RevocationListTooOld, s.problem + "; " + held
                    + " stays in force, too old since " + tooOldAt + " (" + limit + "): nodes revoked in Puppet since "
                    + (s.lastSync != null ? s.lastSync : "that sync") + " still get in");
        }
        String closing = s.shrunkAt != null ? "; closing connections of keys dropped at " + s.shrunkAt : "";
        return new Observation.RevocationObservation(true, Reason.RevocationEnforced, "brokers admit the " + s.last.signed()
                + " certificates the Puppet CA lists as signed (" + s.pins.admitted().size() + " keys, CRL number " + s.last.crlNumber()
                + "), synced at " + s.lastSync + " every " + spec.getSyncIntervalSeconds() + "s" + closing);
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

    private static PinnedKeys lastWritten(ConfigMap config, Names names) {
        String file = config != null && config.getData() != null ? config.getData().get(NatsConfig.PINNED_CERTS_FILE) : null;
        return file == null ? PinnedKeys.none() : PinnedKeys.parse(file, names.namespace(), names.cluster());
    }
}
