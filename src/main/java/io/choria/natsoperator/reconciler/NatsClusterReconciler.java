package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterStatus;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.inputs.BrokerCertificates;
import io.choria.natsoperator.inputs.InputProblem;
import io.choria.natsoperator.inputs.RoutePasswords;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.ModelInputs;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsClusterModel;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.model.SpecProblem;
import io.choria.natsoperator.model.SpecValidator;
import io.choria.natsoperator.model.TlsFiles;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a NatsCluster into its broker cluster, in order: validate, gather inputs (route
 * password, certificate), apply the model's objects, observe, write status. An input that
 * cannot be honoured stops the pipeline before anything is written, so the last good objects
 * stay in place.
 */
@ControllerConfiguration(name = "natscluster")
public class NatsClusterReconciler implements Reconciler<NatsCluster> {
    private static final Logger LOG = LoggerFactory.getLogger(NatsClusterReconciler.class);

    private final KubernetesClient client;
    private final OperatorSettings settings;
    private final EventRecorder events;
    private final Clock clock;
    private final ResourceApplier applier;

    public NatsClusterReconciler(KubernetesClient client, OperatorSettings settings, EventRecorder events, Clock clock) {
        this.client = client;
        this.settings = settings;
        this.events = events;
        this.clock = clock;
        this.applier = new ResourceApplier(client);
    }

    @Override
    public List<EventSource<?, NatsCluster>> prepareEventSources(EventSourceContext<NatsCluster> ctx) {
        List<EventSource<?, NatsCluster>> sources = new ArrayList<>();
        for (Class<? extends HasMetadata> owned : List.of(StatefulSet.class, Service.class, ConfigMap.class, PodDisruptionBudget.class,
                NetworkPolicy.class)) {
            sources.add(owned(owned, ctx));
        }
        // Secrets: ours map back by owner; the user's (route password, CA) by the clusters naming them.
        sources.add(new InformerEventSource<>(InformerEventSourceConfiguration.from(Secret.class, NatsCluster.class)
                .withSecondaryToPrimaryMapper(new SecretToClusters(ctx.getPrimaryCache()))
                .build(), ctx));
        return sources;
    }

    private static <R extends HasMetadata> InformerEventSource<R, NatsCluster> owned(Class<R> type, EventSourceContext<NatsCluster> ctx) {
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, NatsCluster.class)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(NatsCluster.API_VERSION, "NatsCluster", false))
                .build(), ctx);
    }

    @Override
    public UpdateControl<NatsCluster> reconcile(NatsCluster original, Context<NatsCluster> context) {
        NatsCluster nc = SpecDefaults.withDefaults(original);
        Names names = Names.of(nc, settings.clusterDomain());
        Pass pass = new Pass(clock.instant(), settings.resyncPeriod());
        Observation seen;
        try {
            validate(nc);
            RoutePassword routes = routePassword(nc, names);
            TlsFiles tls = certificate(nc, names, pass);
            apply(nc, names, routes, tls);
            StatefulSet sts = statefulSet(names);
            seen = new Observation(sts, null, pass.certificate, mesh(nc, sts));
        } catch (InputProblem problem) {
            LOG.warn("NatsCluster {}/{}: {}: {}", names.namespace(), names.cluster(), problem.reason(), problem.getMessage());
            seen = new Observation(statefulSet(names), problem, pass.certificate, null);
        }
        NatsClusterStatus status = StatusCalculator.compute(nc, seen, pass.now);
        recordTransitions(original, original.getStatus(), status);
        UpdateControl<NatsCluster> control;
        if (Objects.equals(status, original.getStatus())) {
            control = UpdateControl.noUpdate();
        } else {
            original.setStatus(status);
            control = UpdateControl.patchStatus(original);
        }
        return control.rescheduleAfter(pass.wakeUp);
    }

    /** What one reconcile learns on its way: the time, the certificate outcome, when to wake up next. */
    private static final class Pass {
        final Instant now;
        Duration wakeUp;
        Observation.CertificateObservation certificate;

        Pass(Instant now, Duration wakeUp) {
            this.now = now;
            this.wakeUp = wakeUp;
        }

        void wakeBy(Instant when) {
            Duration until = Duration.between(now, when);
            if (until.compareTo(wakeUp) < 0) wakeUp = until.isNegative() ? Duration.ofSeconds(1) : until;
        }
    }

    private static void validate(NatsCluster nc) {
        List<SpecProblem> problems = SpecValidator.validate(nc);
        if (!problems.isEmpty()) {
            throw new InputProblem(Reason.InvalidSpec, problems.stream().map(SpecProblem::message).collect(Collectors.joining("; ")));
        }
    }

    /** The broker certificate to serve (null without TLS); an unusable CA is an InputProblem. */
    private TlsFiles certificate(NatsCluster nc, Names names, Pass pass) {
        if (nc.getSpec().getTls() == null) return null;
        BrokerCertificates.Plan plan;
        try {
            plan = BrokerCertificates.plan(nc, secret(names.namespace(), nc.getSpec().getTls().getCaSecretRef().getName()),
                    secret(names.namespace(), names.tlsSecret()), settings.clusterDomain(), pass.now);
        } catch (InputProblem caProblem) {
            pass.certificate = new Observation.CertificateObservation(false, caProblem.reason(), caProblem.getMessage(), null);
            throw caProblem;
        }
        pass.certificate = certificateObservation(plan);
        pass.wakeBy(plan.renewAt());
        plan.issuedBecause().ifPresent(why -> events.normal(nc, Reason.CertificateIssued, "issued broker certificate serial "
                + plan.status().serial() + ", valid until " + plan.status().notAfter() + " (" + why + ")"));
        return plan.files();
    }

    /** Writes what the model wants; removes the optional objects the operator made when they are switched off. */
    private void apply(NatsCluster nc, Names names, RoutePassword routes, TlsFiles tls) {
        DesiredCluster desired = NatsClusterModel.desired(nc, new ModelInputs(settings.clusterDomain(), routes.password(), tls));
        List<HasMetadata> objects = desired.inApplyOrder();
        List<HasMetadata> createOnly = routes.toCreate() == null ? List.of() : List.of(routes.toCreate());
        List<ResourceApplier.Outcome> outcomes = applier.applyAll(createOnly, objects, nc);
        if (routes.toCreate() != null) {
            events.normal(nc, Reason.RoutePasswordGenerated, "generated route password Secret " + names.routePasswordSecret());
        }
        for (int i = 0; i < objects.size(); i++) {
            if (outcomes.get(i) != ResourceApplier.Outcome.UNCHANGED) {
                LOG.info("{} {} {}/{}", outcomes.get(i), objects.get(i).getKind(), names.namespace(), objects.get(i).getMetadata().getName());
            }
        }
        if (desired.networkPolicy() == null && applier.deleteIfOwned(NetworkPolicy.class, names.namespace(), names.cluster(), nc)) {
            LOG.info("DELETED NetworkPolicy {}/{} (spec.networkPolicy.enabled is false)", names.namespace(), names.cluster());
        }
        if (desired.puppetAlias() == null && applier.deleteIfOwned(Service.class, names.namespace(), names.puppetAliasService(), nc)) {
            LOG.info("DELETED Service {}/{} (spec.service.puppetAlias is false)", names.namespace(), names.puppetAliasService());
        }
    }

    private static Observation.CertificateObservation certificateObservation(BrokerCertificates.Plan plan) {
        return new Observation.CertificateObservation(true, Reason.CertificateValid, "serving certificate serial "
                + plan.status().serial() + " valid until " + plan.status().notAfter() + "; renewal at " + plan.renewAt(), plan.status());
    }

    /** The route password, and the Secret to create first when the operator has to generate it. */
    private record RoutePassword(String password, Secret toCreate) {}

    private RoutePassword routePassword(NatsCluster nc, Names names) {
        if (RoutePasswords.reference(nc) != null) {
            return new RoutePassword(RoutePasswords.fromUserSecret(nc, name -> secret(names.namespace(), name)), null);
        }
        String password = RoutePasswords.fromGeneratedSecret(secret(names.namespace(), names.routePasswordSecret()), names);
        if (password != null) return new RoutePassword(password, null);
        password = BrokerSecrets.newPassword();
        return new RoutePassword(password, BrokerSecrets.generatedRoutePassword(nc, names, password));
    }

    /** Asked only of brokers that can answer: some are ready. */
    private MeshObservation mesh(NatsCluster nc, StatefulSet sts) {
        if (settings.meshProbe() == null || sts == null || sts.getStatus() == null
                || sts.getStatus().getReadyReplicas() == null || sts.getStatus().getReadyReplicas() == 0) {
            return null;
        }
        return settings.meshProbe().check(nc);
    }

    private Secret secret(String namespace, String name) {
        return client.secrets().inNamespace(namespace).withName(name).get();
    }

    private StatefulSet statefulSet(Names names) {
        return client.apps().statefulSets().inNamespace(names.namespace()).withName(names.statefulSet()).get();
    }

    /** Events when a condition changes: a new problem is a Warning, recovery and progress are Normal. */
    private void recordTransitions(NatsCluster nc, NatsClusterStatus before, NatsClusterStatus after) {
        List<io.fabric8.kubernetes.api.model.Condition> prev = before != null ? before.getConditions() : List.of();
        java.util.Set<String> said = new java.util.HashSet<>();
        for (var c : after.getConditions()) {
            var old = Conditions.find(prev, c.getType());
            boolean changed = old.isEmpty() || !Objects.equals(old.get().getStatus(), c.getStatus())
                    || !Objects.equals(old.get().getReason(), c.getReason());
            if (!changed || !said.add(c.getReason() + c.getStatus())) continue;
            boolean bad = ("False".equals(c.getStatus()) && !c.getType().equals(Conditions.PROGRESSING)
                    && !Reason.BrokersNotReady.name().equals(c.getReason()))
                    || ("True".equals(c.getStatus()) && c.getType().equals(Conditions.DEGRADED));
            if (bad) {
                events.warning(nc, c.getReason(), c.getMessage());
            } else if ("True".equals(c.getStatus()) || old.isPresent()) {
                events.normal(nc, c.getReason(), c.getMessage());
            }
        }
    }
}
