package io.choria.natsoperator.inputs;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.model.ModelInputs;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsConfig;
import io.choria.natsoperator.model.PortPinnedCerts;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.model.SpecProblem;
import io.choria.natsoperator.model.SpecValidator;
import io.choria.natsoperator.model.TlsFiles;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

/**
 * The one step that gathers what the model needs besides the spec, for the reconciler and for {@code render}: the spec
 * checked, gateway references resolved to the referenced NatsCluster's port, the route password, the broker certificate,
 * the pinned lists. The two differ only in where objects come from ({@link Sources}: the operator's caches, or the files
 * given to render) and in the steps that need the network ({@link Certificates}: the operator asks the Puppet CA, render
 * reads the certificate the operator holds and prints the fail-closed lists). So render shows what the operator will do.
 */
public final class ClusterInputs {
    /** Where the objects come from. */
    public interface Sources {
        /** A Secret the spec names: the CA, the route password; null when absent. */
        Secret userSecret(String namespace, String name);

        /** A Secret the operator writes and keeps for a NatsCluster (its certificate); null when absent. */
        Secret heldSecret(String namespace, String name);

        /**
         * The route password Secret the operator generated, looked up before it would be created a second time; null
         * when absent. The operator also finds one it did not make (same name, no label), to refuse it.
         */
        Secret generatedSecret(String namespace, String name);

        /** Another NatsCluster (a gateway remote's natsClusterRef). */
        Optional<NatsCluster> natsCluster(String namespace, String name);

        /**
         * Whether a generated route password Secret must be this NatsCluster's own (by uid) to be used. In a cluster, one
         * of that name made by someone else must not become the password every broker mounts; render is handed its files
         * by its user, and a NatsCluster file has no uid.
         */
        boolean checksOwner();
    }

    /** The certificate steps that differ: Puppet enrolment and its pinned lists need the network. */
    public interface Certificates {
        /** spec.tls.puppet: the certificate to serve and the key and CSR pending (null: none); an InputProblem when none can be served. */
        Enrolled enrolled(NatsCluster nc, Names names);

        /** spec.tls.puppet: the pinned lists, null when revocation is not enforced. */
        Pinned pinned(NatsCluster nc, Names names, TlsFiles served);

        /** spec.tls.caSecretRef: the certificate decided (kept or newly issued); the operator records it. */
        default void planned(NatsCluster nc, BrokerCertificates.Plan plan) {}

        /** spec.tls.caSecretRef: the CA cannot be used; the operator records it before the problem stops the pass. */
        default void refused(NatsCluster nc, InputProblem problem) {}
    }

    public record Enrolled(TlsFiles serve, Map<String, String> pendingRequest) {}

    /** The client port's allow-list (carried in parts, see PinnedList) and the leafnode and gateway ports' lists. */
    public record Pinned(io.choria.natsoperator.model.PinnedList clientPort, PortPinnedCerts ports) {}

    /** {@code routePasswordToCreate}: the generated route password Secret, when none exists yet. */
    public record Gathered(ModelInputs model, Secret routePasswordToCreate) {}

    private final String clusterDomain;
    private final InstallerSettings installer;
    private final CaCache cas;

    /** {@code cas}: the reconciler keeps parsed CAs across passes; render has one pass. */
    public ClusterInputs(String clusterDomain, InstallerSettings installer, CaCache cas) {
        this.clusterDomain = clusterDomain;
        this.installer = installer;
        this.cas = cas;
    }

    /**
     * {@code nc}: the working copy ({@link SpecDefaults#withDefaults}), whose gateway references are resolved in place, so
     * that the model and whatever reads the copy afterwards see the URLs. An InputProblem (before anything is written) when
     * an input cannot be honoured.
     */
    public Gathered gather(NatsCluster nc, Instant now, Sources sources, Certificates certificates) {
        Names names = Names.of(nc, clusterDomain);
        validate(nc);
        resolveGatewayRemotes(nc, names, sources::natsCluster);
        String password;
        Secret toCreate = null;
        if (RoutePasswords.reference(nc) != null) {
            password = RoutePasswords.fromUserSecret(nc, name -> sources.userSecret(names.namespace(), name));
        } else {
            Secret generated = sources.generatedSecret(names.namespace(), names.routePasswordSecret());
            password = sources.checksOwner() ? RoutePasswords.fromGeneratedSecret(generated, names, nc)
                    : RoutePasswords.fromGeneratedSecret(generated, names);
            if (password == null) {
                password = BrokerSecrets.newPassword();
                toCreate = BrokerSecrets.generatedRoutePassword(nc, names, password);
            }
        }
        TlsFiles tls = null;
        Map<String, String> pending = null;
        Pinned pinned = null;
        var spec = nc.getSpec().getTls();
        if (spec != null && spec.getPuppet() != null) {
            Enrolled enrolled = certificates.enrolled(nc, names);
            tls = enrolled.serve();
            pending = enrolled.pendingRequest();
            pinned = certificates.pinned(nc, names, tls);
        } else if (spec != null) {
            BrokerCertificates.Plan plan;
            try {
                plan = BrokerCertificates.plan(nc, sources.userSecret(names.namespace(), spec.getCaSecretRef().getName()),
                        sources.heldSecret(names.namespace(), names.tlsSecret()), clusterDomain, now, cas);
            } catch (InputProblem caProblem) {
                certificates.refused(nc, caProblem);
                throw caProblem;
            }
            certificates.planned(nc, plan);
            tls = plan.files();
        }
        ModelInputs model = new ModelInputs(clusterDomain, password, tls, installer, pinned == null ? null : pinned.clientPort(), pending,
                pinned == null ? null : pinned.ports());
        return new Gathered(model, toCreate);
    }

    private static void validate(NatsCluster nc) {
        List<SpecProblem> problems = SpecValidator.validate(nc);
        if (!problems.isEmpty()) {
            throw new InputProblem(SpecValidator.reasonOf(problems), problems.stream().map(SpecProblem::message).collect(Collectors.joining("; ")));
        }
    }

    /**
     * Turns each natsClusterRef remote of the working copy into the URL of the referenced NatsCluster's gateway Service on
     * that cluster's own gateway port. A reference to a NatsCluster that does not exist, has no gateway, or whose cluster
     * name is not the remote's name stops the pass ({@code GatewayRemoteNotFound}, naming the field). Public for the
     * tests that run the model's brokers without the rest of the inputs.
     */
    public static void resolveGatewayRemotes(NatsCluster nc, Names names, BiFunction<String, String, Optional<NatsCluster>> clusters) {
        var gw = nc.getSpec().getGateway();
        if (gw == null) return;
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < gw.getRemotes().size(); i++) {
            var remote = gw.getRemotes().get(i);
            var ref = remote.getNatsClusterRef();
            if (ref == null) continue;
            String ns = ref.getNamespace() == null || ref.getNamespace().isEmpty() ? names.namespace() : ref.getNamespace();
            String field = "spec.gateway.remotes[" + i + "].natsClusterRef";
            Optional<NatsCluster> other = clusters.apply(ns, ref.getName());
            if (other.isEmpty()) {
                problems.add(field + ": no NatsCluster " + ns + "/" + ref.getName());
                continue;
            }
            NatsCluster target = SpecDefaults.withDefaults(other.get());
            if (target.getSpec().getGateway() == null) {
                problems.add(field + ": NatsCluster " + ns + "/" + ref.getName() + " has no spec.gateway");
                continue;
            }
            if (!target.getSpec().getClusterName().equals(remote.getName())) {
                problems.add("spec.gateway.remotes[" + i + "].name '" + remote.getName() + "' is not the cluster name of NatsCluster "
                        + ns + "/" + ref.getName() + " ('" + target.getSpec().getClusterName() + "')");
                continue;
            }
            remote.setUrls(List.of(NatsConfig.gatewayRefUrl(names, ref.getName(), ns, target.getSpec().getGateway().getPort())));
        }
        if (!problems.isEmpty()) throw new InputProblem(Reason.GatewayRemoteNotFound, String.join("; ", problems));
    }
}
