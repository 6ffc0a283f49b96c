package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.sources.BrokerObservations;
import io.choria.natsoperator.sources.ReferencedClusters;
import io.choria.natsoperator.sources.ReferencedSecrets;
import io.choria.natsoperator.sources.RevocationEnforcement;
import io.choria.natsoperator.status.Conditions;
import io.choria.natsoperator.status.Observation;
import io.choria.natsoperator.status.StatusCalculator;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterStatus;
import io.choria.natsoperator.api.PuppetEnrolmentSpec;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.pki.PkiException;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.puppet.BrokerEnrolment;
import io.choria.natsoperator.puppet.PuppetInventory;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.choria.natsoperator.reconciler.dependent.CertificateRequestDependent;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import io.choria.natsoperator.inputs.BrokerCertificates;
import io.choria.natsoperator.inputs.CaCache;
import io.choria.natsoperator.inputs.InputProblem;
import io.choria.natsoperator.inputs.ClusterInputs;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.metrics.ClusterSnapshot;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.BrokerStatefulSet;
import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsClusterModel;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.reconciler.dependent.OwnedObjects;
import io.choria.natsoperator.sources.EnrolmentAnswers;
import io.choria.natsoperator.reconciler.dependent.PinnedListDependent;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a NatsCluster into its broker cluster, in order: gather the inputs ({@link ClusterInputs},
 * the step {@code render} takes too: validation, gateway references, route password, certificate),
 * apply the owned objects ({@link OwnedObjects}), observe, write status. An input that cannot be honoured stops the pipeline before anything is written, so
 * the last good objects stay in place. Every read comes from a cache: a settled cluster costs
 * the API server no request.
 */
@ControllerConfiguration(name = "natscluster")
public class NatsClusterReconciler implements Reconciler<NatsCluster> {
    private static final Logger LOG = LoggerFactory.getLogger(NatsClusterReconciler.class);

    private final KubernetesClient client;
    private final OperatorSettings settings;
    private final EventRecorder events;
    private final Clock clock;
    private final OwnedObjects owned;
    private final ClusterInputs inputs;
    /** The Puppet inventory syncs, beside the reconcile; their results reach the reconcile through {@link #puppetEvents}. */
    private final PuppetInventory inventory;
    private final RevocationEnforcement revocation;
    private volatile PuppetSyncEvents puppetEvents;
    /** Enrolment's calls to the Puppet CA, beside the reconcile; a changed answer reconciles that cluster. */
    private final EnrolmentAnswers enrolment;
    private final PodMonitors podMonitors;
    private volatile ReferencedSecrets referenced;
    private volatile ReferencedClusters referencedClusters;
    private volatile BrokerObservations observations;
    private volatile Instant lastPrune = Instant.EPOCH;

    public NatsClusterReconciler(KubernetesClient client, OperatorSettings settings, EventRecorder events, Clock clock) {
        this.client = client;
        this.settings = settings;
        this.events = events;
        this.clock = clock;
        this.owned = new OwnedObjects(client);
        this.podMonitors = new PodMonitors(client, settings.resyncPeriod());
        this.inputs = new ClusterInputs(settings.clusterDomain(), settings.installer(), new CaCache());
        this.inventory = new PuppetInventory(clock);
        this.revocation = new RevocationEnforcement(inventory);
        this.enrolment = new EnrolmentAnswers(clock);
    }

    /**
     * A changed Puppet sync result reconciles the clusters using it. Stopped with the controller, which also stops the
     * syncs (their threads start again with the next subscription).
     */
    private static final class PuppetSyncEvents extends SimpleInboundEventSource<NatsCluster> {
        private final PuppetInventory inventory;

        PuppetSyncEvents(PuppetInventory inventory) {
            super("puppet-inventory");
            this.inventory = inventory;
        }

        @Override
        public void stop() {
            super.stop();
            inventory.close();
        }
    }

    @Override
    public List<EventSource<?, NatsCluster>> prepareEventSources(EventSourceContext<NatsCluster> ctx) {
        List<EventSource<?, NatsCluster>> sources = new ArrayList<>(owned.eventSources(ctx));
        referenced = new ReferencedSecrets(client, ctx.getPrimaryCache());
        var primaries = ctx.getPrimaryCache();
        settings.metrics().liveness(s -> primaries.get(new io.javaoperatorsdk.operator.processing.event.ResourceID(s.name(), s.namespace()))
                .map(nc -> Objects.equals(nc.getMetadata().getUid(), s.uid())).orElse(false));
        sources.add(referenced);
        referencedClusters = new ReferencedClusters(ctx);
        sources.add(referencedClusters.eventSource());
        puppetEvents = new PuppetSyncEvents(inventory);
        sources.add(puppetEvents);
        sources.add(enrolment);
        if (settings.meshProbe() != null) {
            observations = new BrokerObservations(settings.meshProbe(), settings.meshPolling(), clock);
            sources.add(observations);
        }
        return sources;
    }

    @Override
    public UpdateControl<NatsCluster> reconcile(NatsCluster original, Context<NatsCluster> context) {
        NatsCluster nc = SpecDefaults.withDefaults(original);
        Names names = Names.of(nc, settings.clusterDomain());
        Pass pass = new Pass(clock.instant(), settings.resyncPeriod());
        Observation seen;
        try {
            ClusterInputs.Gathered gathered;
            try {
                gathered = inputs.gather(nc, pass.now, sources, certificates(pass));
            } finally {
                // A pass that hands the Puppet CA no request is done with it: served, switched off, or stopped before.
                if (!pass.enrolling) enrolment.forget(nc.getMetadata().getUid());
            }
            apply(nc, names, gathered, pass);
            Observation.PodMonitorObservation podMonitor = podMonitors.reconcile(nc, names, pass.now);
            StatefulSet sts = statefulSet(names);
            MeshSeen mesh = mesh(nc, sts, original.getStatus(), pass.now);
            revocation.observed(nc.getMetadata().getUid(), mesh.observation());
            seen = new Observation(sts, null, pass.certificate, mesh.observation(),
                    BrokerStatefulSet.privilegedSysctlsRefused(nc.getSpec(), settings.installer()), pass.revocation, podMonitor,
                    mesh.unknown());
        } catch (InputProblem problem) {
            LOG.warn("NatsCluster {}/{}: {}: {}", names.namespace(), names.cluster(), problem.reason(), problem.getMessage());
            if (observations != null) observations.forget(nc.getMetadata().getUid());
            seen = new Observation(statefulSet(names), problem, pass.certificate, null);
        }
        NatsClusterStatus status = StatusCalculator.compute(nc, seen, pass.now);
        settings.metrics().update(ClusterSnapshot.of(nc, status, seen.mesh(), revocation.figures(nc.getMetadata().getUid(), nc), pass.now));
        recordTransitions(original, original.getStatus(), status);
        if (!Objects.equals(status, original.getStatus())) {
            // Written with its resourceVersion and kept in the operator's cache, so the next
            // reconcile (the children's events follow at once) sees this status, not the one before it.
            PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(original, context, fresh -> {
                fresh.setStatus(status);
                return fresh;
            });
        }
        pruneWatches(pass.now);
        return UpdateControl.<NatsCluster>noUpdate().rescheduleAfter(pass.wakeUp);
    }

    /** What one reconcile learns on its way: the time, the certificate outcome, when to wake up next. */
    private static final class Pass {
        final Instant now;
        Duration wakeUp;
        Observation.CertificateObservation certificate;
        Observation.RevocationObservation revocation;
        Map<String, String> pendingRequest;
        TrustBundle puppetBundle;
        boolean enrolling;

        Pass(Instant now, Duration wakeUp) {
            this.now = now;
            this.wakeUp = wakeUp;
        }

        void wakeBy(Instant when) {
            Duration until = Duration.between(now, when);
            if (until.compareTo(wakeUp) < 0) wakeUp = until.isNegative() ? Duration.ofSeconds(1) : until;
        }
    }

    /** Where the reconciler's inputs come from: the informers' caches (a generated password may be looked up live once). */
    private final ClusterInputs.Sources sources = new ClusterInputs.Sources() {
        @Override
        public Secret userSecret(String namespace, String name) {
            return referenced.get(namespace, name);
        }

        @Override
        public Secret heldSecret(String namespace, String name) {
            return owned.cached(Secret.class, namespace, name);
        }

        @Override
        public Secret generatedSecret(String namespace, String name) {
            return owned.find(Secret.class, namespace, name);
        }

        @Override
        public Optional<NatsCluster> natsCluster(String namespace, String name) {
            return referencedClusters.get(namespace, name);
        }

        @Override
        public boolean checksOwner() {
            return true;
        }
    };

    /** The operator's certificate steps for one pass: it enrols with Puppet, and records every outcome for status and Events. */
    private ClusterInputs.Certificates certificates(Pass pass) {
        return new ClusterInputs.Certificates() {
            @Override
            public ClusterInputs.Enrolled enrolled(NatsCluster nc, Names names) {
                TlsFiles serve = NatsClusterReconciler.this.enrolled(nc, names, pass);
                return new ClusterInputs.Enrolled(serve, pass.pendingRequest);
            }

            @Override
            public ClusterInputs.Pinned pinned(NatsCluster nc, Names names, TlsFiles served) {
                RevocationEnforcement.Outcome o = pinnedCerts(nc, names, served, pass);
                return o == null ? null : new ClusterInputs.Pinned(o.pinned(), o.ports());
            }

            @Override
            public void planned(NatsCluster nc, BrokerCertificates.Plan plan) {
                pass.certificate = certificateObservation(plan);
                pass.wakeBy(plan.renewAt());
                plan.issuedBecause().ifPresent(why -> events.normal(nc, Reason.CertificateIssued, "issued broker certificate serial "
                        + plan.status().serial() + ", valid until " + plan.status().notAfter() + " (" + why + ")"));
            }

            @Override
            public void refused(NatsCluster nc, InputProblem caProblem) {
                pass.certificate = new Observation.CertificateObservation(false, caProblem.reason(), caProblem.getMessage(), null);
            }
        };
    }

    /**
     * Enrolment with the Puppet CA: the certificate Puppet signed for a key the operator made. Nothing
     * signed yet is an InputProblem (AwaitingSigning) after the key and CSR are stored and handed to
     * the poller, which asks the CA beside the reconcile ({@link EnrolmentAnswers}).
     */
    private TlsFiles enrolled(NatsCluster nc, Names names, Pass pass) {
        PuppetEnrolmentSpec puppet = nc.getSpec().getTls().getPuppet();
        BrokerEnrolment.Outcome o;
        try {
            TrustBundle bundle = puppetBundle(names, puppet);
            pass.puppetBundle = bundle;
            Optional<String> challenge = Optional.ofNullable(puppet.getChallengePasswordSecretRef())
                    .map(ref -> secretValue(names, ref, "password", "spec.tls.puppet.challengePasswordSecretRef"));
            o = BrokerEnrolment.plan(names, nc.getSpec().getTls(), bundle, owned.cached(Secret.class, names.namespace(), names.tlsSecret()),
                    owned.cached(Secret.class, names.namespace(), names.certificateRequestSecret()), challenge,
                    NatsClusterModel.certificateDnsNames(nc, settings.clusterDomain()), pass.now,
                    enrolment.ca(nc, URI.create(puppet.getUrl()), bundle, () -> pass.enrolling = true),
                    request -> storeRequest(nc, names, request),
                    serial -> revocation.revoked(nc.getMetadata().getUid(), serial));
        } catch (InputProblem problem) {
            pass.certificate = new Observation.CertificateObservation(false, problem.reason(), problem.getMessage(), null);
            throw problem;
        }
        pass.certificate = new Observation.CertificateObservation(o.ready(), o.reason(), o.message(), o.status());
        pass.pendingRequest = o.pendingRequest();
        pass.wakeBy(o.renewAt());
        o.signedEvent().ifPresent(m -> events.normal(nc, Reason.CertificateSigned, m));
        if (o.serve() == null) throw new InputProblem(o.reason(), o.message());
        return o.serve();
    }

    private TrustBundle puppetBundle(Names names, PuppetEnrolmentSpec puppet) {
        String pem = secretValue(names, puppet.getCaBundleSecretRef(), "ca.crt", "spec.tls.puppet.caBundleSecretRef");
        try {
            return TrustBundle.parse(pem);
        } catch (PkiException e) {
            throw new InputProblem(e.reason(), "Puppet CA bundle Secret '" + puppet.getCaBundleSecretRef().getName() + "': " + e.getMessage());
        }
    }

    /** A key of a user Secret the spec names; missing Secret or key is a CaSecretNotFound / CaCertificateMissing problem. */
    private String secretValue(Names names, SecretKeyReference ref, String defaultKey, String field) {
        Secret s = userSecret(names, ref.getName());
        if (s == null) {
            throw new InputProblem(Reason.CaSecretNotFound, "Secret '" + ref.getName() + "' (" + field + ") not found in namespace " + names.namespace());
        }
        String key = ref.getKey() != null ? ref.getKey() : defaultKey;
        String value;
        try {
            value = BrokerSecrets.decode(s, key);
        } catch (IllegalArgumentException e) {
            value = null;
        }
        if (value == null || value.isBlank()) {
            throw new InputProblem(Reason.CaCertificateMissing, "Secret '" + ref.getName() + "' (" + field + ") has no value under key '" + key + "'");
        }
        return value.strip();
    }

    private void storeRequest(NatsCluster nc, Names names, Map<String, String> request) {
        try {
            owned.applyOne(nc, names, new CertificateRequestDependent(), BrokerSecrets.certificateRequest(nc, names, request));
        } catch (OwnedObjects.NotOwned foreign) {
            throw new InputProblem(Reason.ObjectNotOwned, foreign.getMessage());
        }
        events.normal(nc, Reason.AwaitingSigning, "new broker key; certificate request '" + request.get("certname") + "' stored in Secret "
                + names.certificateRequestSecret() + ", and sent to the Puppet CA beside the reconcile");
    }

    /** The pinned_certs files for an enrolled cluster that enforces revocation; null otherwise. */
    private RevocationEnforcement.Outcome pinnedCerts(NatsCluster nc, Names names, TlsFiles served, Pass pass) {
        PuppetEnrolmentSpec puppet = nc.getSpec().getTls() != null ? nc.getSpec().getTls().getPuppet() : null;
        if (puppet == null) return null;
        if (!Boolean.TRUE.equals(puppet.getEnforceRevocation())) {
            revocation.forget(nc.getMetadata().getUid());
            pass.revocation = new Observation.RevocationObservation(false, Reason.RevocationDisabled,
                    "spec.tls.puppet.enforceRevocation is false: a node revoked in Puppet still gets in (nats-server reads no CRL)");
            return null;
        }
        var id = io.javaoperatorsdk.operator.processing.event.ResourceID.fromResource(nc);
        PuppetSyncEvents events = puppetEvents;
        RevocationEnforcement.Outcome o = revocation.pins(nc.getMetadata().getUid(), names, nc.getSpec(), pass.puppetBundle, served,
                name -> owned.cached(ConfigMap.class, names.namespace(), name),
                owned.cached(StatefulSet.class, names.namespace(), names.statefulSet()), pass.now,
                nc.getStatus() == null ? null : Conditions.find(nc.getStatus().getConditions(), Conditions.REVOCATION_ENFORCED).orElse(null),
                () -> events.propagateEvent(id));
        pass.revocation = o.observation();
        if (o.wakeAt() != null) pass.wakeBy(o.wakeAt());
        return o;
    }

    /** Writes what the model wants; removes the optional objects the operator made when they are switched off. */
    private void apply(NatsCluster nc, Names names, ClusterInputs.Gathered inputs, Pass pass) {
        DesiredCluster desired = NatsClusterModel.desired(nc, inputs.model());
        Secret toCreate = inputs.routePasswordToCreate();
        List<HasMetadata> createFirst = toCreate == null ? List.of() : List.of(toCreate);
        List<OwnedObjects.Change> changes = new ArrayList<>(writePinnedList(nc, names, desired, pass));
        try {
            changes.addAll(owned.apply(nc, names, desired, createFirst));
        } catch (OwnedObjects.NotOwned foreign) {
            throw new InputProblem(Reason.ObjectNotOwned, foreign.getMessage());
        }
        if (toCreate != null) {
            events.normal(nc, Reason.RoutePasswordGenerated, "generated route password Secret " + names.routePasswordSecret());
        }
        changes.forEach(c -> LOG.info("{} {} {}/{}", c.outcome(), c.kind(), names.namespace(), c.name()));
        if (changes.stream().anyMatch(c -> c.outcome() == OwnedObjects.Outcome.REPLACING)) {
            events.normal(nc, Reason.StatefulSetReplaced, "the StatefulSet's volume claim templates changed (spec.streams), which a"
                    + " StatefulSet cannot take: it was deleted with its pods orphaned, and the new one rolls them one at a time");
            // A larger size reaches new claims through the template; the brokers' existing claims are grown here, once.
            if (nc.getSpec().getStreams() != null) {
                VolumeClaims.Growth growth = VolumeClaims.grow(client, nc, names);
                if (!growth.grown().isEmpty()) {
                    events.normal(nc, Reason.VolumesExpanding, "asked to grow " + String.join(", ", growth.grown()) + " to "
                            + nc.getSpec().getStreams().getStorage().getSize() + " (the storage class expands them; the brokers roll to the new store limit)");
                }
                if (!growth.refused().isEmpty()) {
                    events.warning(nc, Reason.VolumeExpansionRefused, "could not grow " + String.join("; ", growth.refused())
                            + ". The brokers' store limit follows spec.streams.storage.size: grow the claims by hand (kubectl patch pvc),"
                            + " or set the size back, or the brokers may write past what their disks hold");
                }
            }
        }
    }

    /** How soon a pinned list the API server refused is written again. */
    static final Duration PINNED_LIST_RETRY = Duration.ofSeconds(30);

    /**
     * The pinned list's parts, then its manifest (a pod assembles a list only once every part the manifest names is there),
     * or their removal when revocation is no longer enforced. A refused write (too large, quota, RBAC) stops the list, not the
     * reconcile: the certificate, the StatefulSet and the status go on, RevocationEnforced says PinnedListNotWritten, and
     * the brokers keep the list last written. Never the manifest after a refused part.
     */
    private List<OwnedObjects.Change> writePinnedList(NatsCluster nc, Names names, DesiredCluster desired, Pass pass) {
        List<OwnedObjects.Change> changes = new ArrayList<>();
        List<ConfigMap> wanted = desired.pinnedList();
        for (int i = 0; i < PinnedListDependent.ALL.size(); i++) {
            PinnedListDependent d = PinnedListDependent.ALL.get(i);
            ConfigMap object = wanted.isEmpty() ? null : wanted.get(i);
            try {
                OwnedObjects.Change c = owned.applyOne(nc, names, d, object);
                if (c.outcome() != OwnedObjects.Outcome.UNCHANGED) changes.add(c);
            } catch (io.fabric8.kubernetes.client.KubernetesClientException | OwnedObjects.NotOwned e) {
                if (object == null) throw e; // a removal: retried with the reconcile, as any write
                String why = e instanceof io.fabric8.kubernetes.client.KubernetesClientException k ? refusal(k) : e.getMessage();
                LOG.warn("NatsCluster {}/{}: the pinned list was not written: ConfigMap {}: {}", names.namespace(), names.cluster(),
                        d.name(names), why);
                Observation.RevocationObservation before = pass.revocation;
                pass.revocation = new Observation.RevocationObservation(false, Reason.PinnedListNotWritten, "the pinned list ("
                        + desired.pinnedList().size() + " ConfigMaps) was not written: ConfigMap " + d.name(names) + ": " + why
                        + "; the brokers keep the list last written (see spec.tls.puppet.pinnedCertnames to narrow it)",
                        before == null ? null : before.listChangedAt(), before == null ? null : before.lastSync());
                pass.wakeBy(pass.now.plus(PINNED_LIST_RETRY));
                break;
            }
        }
        return changes;
    }

    /** What the API server said, short: the status message is no place for a whole response. */
    private static String refusal(io.fabric8.kubernetes.client.KubernetesClientException e) {
        String said = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
        String m = "HTTP " + e.getCode() + ": " + said;
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }

    private static Observation.CertificateObservation certificateObservation(BrokerCertificates.Plan plan) {
        return new Observation.CertificateObservation(true, Reason.CertificateValid, "serving certificate serial "
                + plan.status().serial() + " valid until " + plan.status().notAfter() + "; renewal at " + plan.renewAt(), plan.status());
    }

    /** The mesh as the poller last saw it, or why it cannot be said; both null when the brokers are not asked. */
    private record MeshSeen(MeshObservation observation, Observation.MeshUnknown unknown) {
        static final MeshSeen NOT_ASKED = new MeshSeen(null, null);
    }

    /**
     * The brokers' latest observation, made beside the reconcile ({@link BrokerObservations}): the
     * reconcile never waits on the network. Asked only of brokers that can answer: some are ready;
     * sooner while the StatefulSet rolls or its ready count moves (a broker went or came back).
     */
    private MeshSeen mesh(NatsCluster nc, StatefulSet sts, NatsClusterStatus before, Instant now) {
        BrokerObservations brokers = observations;
        if (brokers == null) return MeshSeen.NOT_ASKED;
        if (sts == null || sts.getStatus() == null || sts.getStatus().getReadyReplicas() == null || sts.getStatus().getReadyReplicas() == 0) {
            brokers.forget(nc.getMetadata().getUid());
            return MeshSeen.NOT_ASKED;
        }
        boolean changing = StatusCalculator.progress(sts, nc.getSpec().getSize()) != Reason.Stable
                || before == null || !Objects.equals(before.getReadyReplicas(), sts.getStatus().getReadyReplicas());
        var polling = brokers.polling();
        var seen = brokers.watch(nc, changing);
        if (seen.isEmpty()) {
            return new MeshSeen(null, new Observation.MeshUnknown(Reason.NotObservedYet, "the operator asks the brokers' monitoring"
                    + " ports beside the reconcile (every " + polling.settled().toSeconds() + " s); no answer for this spec yet"));
        }
        if (seen.get().age(now).compareTo(brokers.staleAfter()) > 0) {
            // The time, not the age nor the limit (it grows with the clusters polled): the message stays the same until a
            // poll completes, so the status is written once.
            MeshObservation last = seen.get().observation();
            return new MeshSeen(null, new Observation.MeshUnknown(Reason.ObservationTooOld, "no poll of the brokers has completed since "
                    + seen.get().at().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " (the operator polls " + polling.concurrency()
                    + " clusters at once)"
                    + (last == null ? "" : "; it said " + last.reason() + ": " + last.message())));
        }
        return new MeshSeen(seen.get().observation(), null);
    }

    /** A Secret the user owns and the spec names (CA, route password): watched by name, never cached wholesale. */
    private Secret userSecret(Names names, String name) {
        return referenced.get(names.namespace(), name);
    }

    private StatefulSet statefulSet(Names names) {
        return owned.cached(StatefulSet.class, names.namespace(), names.statefulSet());
    }

    private void pruneWatches(Instant now) {
        if (Duration.between(lastPrune, now).compareTo(settings.resyncPeriod()) < 0) return;
        lastPrune = now;
        referenced.prune();
        Set<String> uids = referenced.clusterUids();
        revocation.retainOnly(uids);
        enrolment.retainOnly(uids);
        if (observations != null) observations.retainOnly(uids);
    }

    /**
     * Events when a condition changes, only where something happened: a new problem is a
     * Warning; work starting (Progressing) and recovery from an earlier state are Normal. A
     * condition's first appearance in its good state (CertificateReady, Degraded=False) says
     * nothing new: the certificate's issue has its own Event.
     */
    private void recordTransitions(NatsCluster nc, NatsClusterStatus before, NatsClusterStatus after) {
        List<io.fabric8.kubernetes.api.model.Condition> prev = before != null ? before.getConditions() : List.of();
        Set<String> said = new HashSet<>();
        for (var c : after.getConditions()) {
            var old = Conditions.find(prev, c.getType());
            boolean changed = old.isEmpty() || !Objects.equals(old.get().getStatus(), c.getStatus())
                    || !Objects.equals(old.get().getReason(), c.getReason());
            if (!changed || !said.add(c.getReason() + c.getStatus())) continue;
            boolean degraded = c.getType().equals(Conditions.DEGRADED);
            boolean progressing = c.getType().equals(Conditions.PROGRESSING);
            // Brokers starting and a first Puppet sync under way are work in progress, not problems.
            boolean bad = degraded ? "True".equals(c.getStatus())
                    : ("False".equals(c.getStatus()) && !progressing && !Reason.BrokersNotReady.name().equals(c.getReason())
                            && !Reason.RevocationSyncPending.name().equals(c.getReason()))
                            || Reason.ObservationTooOld.name().equals(c.getReason());
            // Not observed yet is no state to recover from: its end is a first appearance.
            boolean wasKnown = old.isPresent() && !Reason.NotObservedYet.name().equals(old.get().getReason());
            if (bad) {
                events.warning(nc, c.getReason(), c.getMessage());
            } else if (wasKnown || (progressing && "True".equals(c.getStatus()))) {
                events.normal(nc, c.getReason(), c.getMessage());
            }
        }
    }
}
