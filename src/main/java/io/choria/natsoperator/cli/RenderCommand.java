package io.choria.natsoperator.cli;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.inputs.CaCache;
import io.choria.natsoperator.inputs.ClusterInputs;
import io.choria.natsoperator.inputs.InputProblem;
import io.choria.natsoperator.inputs.RoutePasswords;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.model.ModelInputs;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsClusterModel;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.puppet.PinnedKeys;
import io.choria.natsoperator.puppet.PortPins;
import io.choria.natsoperator.runtime.RuntimeConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code render}: what the operator would create, from files, with no cluster. The objects come
 * from the same model the reconciler applies. Secret values are redacted unless asked for.
 */
final class RenderCommand {
    static final String REDACTED = "REDACTED";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private RenderCommand() {}

    static final String HELP = """
            usage: nats-operator render -f FILE [-f FILE ...] [--cluster-domain D] [--reveal-secrets] [--no-owner-references]
              Prints, as multi-document YAML, every object the operator would create for the NatsClusters in
              the files (the Secrets they reference may be given in the files too). No cluster is needed.
              -f, --file FILE          a YAML file of NatsClusters and Secrets (repeatable)
              --cluster-domain D       the cluster's DNS domain (default cluster.local)
              --reveal-secrets         print passwords and private keys instead of REDACTED
              --no-owner-references    leave ownerReferences out, so the output can be applied
              --metrics-namespaces NS,...  namespaces admitted to the exporter port (with the other INSTALLER
                                       flags of run: --sysctl-image, --allow-privileged-sysctls, --operator-*)
              The default output is for review: its ownerReferences name the NatsCluster without a uid (it
              has none until the API server creates it), and the API server rejects such a reference.
              Exit status: 0 rendered; 1 bad input (the message names the file, document or field); 2 bad usage.""";

    static int run(String[] args, PrintStream out, PrintStream err) {
        List<Path> files = new ArrayList<>();
        String clusterDomain = Names.DEFAULT_CLUSTER_DOMAIN;
        boolean reveal = false;
        // The installer's choices, as `run` takes them, so render shows what that operator would apply.
        String sysctlImage = InstallerSettings.DEFAULT_SYSCTL_IMAGE;
        boolean allowPrivileged = true;
        String operatorNamespace = InstallerSettings.DEFAULT_OPERATOR_NAMESPACE;
        Map<String, String> podLabels = InstallerSettings.DEFAULT_OPERATOR_POD_LABELS;
        List<String> metricsNamespaces = List.of();
        boolean ownerReferences = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-h", "--help" -> {
                    out.println(HELP);
                    return 0;
                }
                case "--no-owner-references" -> ownerReferences = false;
                case "-f", "--file" -> files.add(Path.of(RunCommand.value(args, ++i, args[i - 1])));
                case "--cluster-domain" -> clusterDomain = RunCommand.value(args, ++i, "--cluster-domain");
                case "--reveal-secrets" -> reveal = true;
                case "--sysctl-image" -> sysctlImage = RunCommand.value(args, ++i, "--sysctl-image");
                case "--allow-privileged-sysctls" -> allowPrivileged = true;
                case "--allow-privileged-sysctls=true" -> allowPrivileged = true;
                case "--allow-privileged-sysctls=false" -> allowPrivileged = false;
                case "--operator-namespace" -> operatorNamespace = RunCommand.value(args, ++i, "--operator-namespace");
                case "--operator-pod-labels" -> podLabels = labels(RunCommand.value(args, ++i, "--operator-pod-labels"));
                case "--metrics-namespaces" -> metricsNamespaces = List.copyOf(
                        RuntimeConfig.namespaceList(RunCommand.value(args, ++i, "--metrics-namespaces")));
                default -> throw new Main.UsageException("render: unknown option '" + args[i] + "'");
            }
        }
        InstallerSettings installer;
        try {
            installer = new InstallerSettings(sysctlImage, allowPrivileged, operatorNamespace, podLabels, metricsNamespaces);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("render: " + e.getMessage());
        }
        if (files.isEmpty()) throw new Main.UsageException("render: give at least one -f FILE");
        try {
            RenderInput input = RenderInput.read(files);
            Rendered rendered = render(input, clusterDomain, installer);
            StringBuilder yaml = new StringBuilder();
            for (HasMetadata o : rendered.objects()) {
                // on a copy: without ownerReferences the output can be applied (they would lack a uid)
                if (!ownerReferences) {
                    o = SERIALIZATION.clone(o);
                    o.getMetadata().setOwnerReferences(null);
                }
                if (!reveal && o instanceof Secret s) o = redacted(s, rendered.sensitive());
                yaml.append(SERIALIZATION.asYaml(o));
            }
            out.print(yaml);
            out.flush();
            return 0;
        } catch (RenderException | InputProblem e) {
            err.println("nats-operator render: " + oneLine(e.getMessage()));
            return 1;
        } catch (RuntimeException e) {
            // A bug, not a bad input (the fuzz test fails on this line): still one line, no stack trace.
            err.println("nats-operator render: internal error: " + e.getClass().getSimpleName().replace("Exception", "")
                    + ": " + oneLine(e.getMessage()));
            return 1;
        }
    }

    /** Control characters escaped (a value quoted from the input may hold a newline), so the message stays one line. */
    static String oneLine(String message) {
        if (message == null) return "unknown error";
        StringBuilder sb = new StringBuilder(message.length());
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }

    /**
     * The objects, and the secret inputs the model was given (route passwords, whether generated or
     * read from the user's Secret, and private keys): whatever must not reach a terminal unasked.
     */
    record Rendered(List<HasMetadata> objects, List<String> sensitive) {}

    /**
     * The same objects, in the same order, as the reconciler applies them, from the same inputs: {@link ClusterInputs}
     * gathers them for both, here from the files.
     */
    static Rendered render(RenderInput input, String clusterDomain, InstallerSettings installer) {
        List<HasMetadata> objects = new ArrayList<>();
        List<String> sensitive = new ArrayList<>();
        ClusterInputs inputs = new ClusterInputs(clusterDomain, installer, CaCache.NONE);
        ClusterInputs.Sources files = new ClusterInputs.Sources() {
            @Override
            public Secret userSecret(String namespace, String name) {
                return input.secret(namespace, name);
            }

            @Override
            public Secret heldSecret(String namespace, String name) {
                return input.secret(namespace, name);
            }

            @Override
            public Secret generatedSecret(String namespace, String name) {
                return input.secret(namespace, name);
            }

            @Override
            public Optional<NatsCluster> natsCluster(String namespace, String name) {
                return input.cluster(namespace, name);
            }

            @Override
            public boolean checksOwner() {
                return false;
            }
        };
        for (NatsCluster original : input.clusters()) {
            NatsCluster nc = SpecDefaults.withDefaults(original);
            String id = nc.getMetadata().getNamespace() + "/" + nc.getMetadata().getName();
            Names names = Names.of(nc, clusterDomain);
            ModelInputs model;
            try {
                model = inputs.gather(nc, Instant.now(), files, offline(input, id)).model();
            } catch (InputProblem p) {
                String hint = p.reason() == Reason.GatewayRemoteNotFound ? " (pass the referenced NatsCluster with -f)" : "";
                throw new RenderException("NatsCluster " + id + ": " + p.reason() + ": " + p.getMessage() + hint);
            }
            // Printed whether it exists or not: it is one of the operator's objects (it creates it once and keeps it).
            if (RoutePasswords.reference(nc) == null) objects.add(BrokerSecrets.generatedRoutePassword(nc, names, model.routePassword()));
            sensitive.add(model.routePassword());
            // the accounts' passwords, derived from it (accounts.conf, the system account Secret)
            if (io.choria.natsoperator.model.ChoriaAccounts.enabled(nc.getSpec())) sensitive.addAll(io.choria.natsoperator.model.ChoriaAccounts.passwords(model.routePassword()));
            if (model.tls() != null) sensitive.add(model.tls().privateKeyPem());
            objects.addAll(NatsClusterModel.desired(nc, model).inApplyOrder());
            // The operator makes it only where the Prometheus Operator's kind exists; render cannot know, so it shows it.
            if (io.choria.natsoperator.model.BrokerPodMonitor.wanted(nc)) objects.add(io.choria.natsoperator.model.BrokerPodMonitor.of(nc, names));
        }
        return new Rendered(objects, sensitive);
    }

    /**
     * render does no network I/O, so it cannot enrol with the Puppet CA nor read its inventory: it renders around the
     * certificate the operator holds (given as a file), and the allow-lists before any sync: fail closed, admitting no one.
     */
    private static ClusterInputs.Certificates offline(RenderInput input, String id) {
        return new ClusterInputs.Certificates() {
            @Override
            public ClusterInputs.Enrolled enrolled(NatsCluster nc, Names names) {
                Secret held = input.secret(names.namespace(), names.tlsSecret());
                String cert = BrokerSecrets.decode(held, "tls.crt");
                String key = BrokerSecrets.decode(held, "tls.key");
                if (cert == null || key == null) {
                    throw new RenderException("NatsCluster " + id + ": spec.tls.puppet: render does not enrol with the Puppet CA (no network I/O); "
                            + "pass the Secret " + names.tlsSecret() + " the operator keeps (kubectl get secret " + names.tlsSecret()
                            + " -o yaml), or use spec.tls.caSecretRef");
                }
                return new ClusterInputs.Enrolled(new TlsFiles(cert, key, BrokerSecrets.decode(held, "ca.crt")), null);
            }

            @Override
            public ClusterInputs.Pinned pinned(NatsCluster nc, Names names, TlsFiles served) {
                if (!Boolean.TRUE.equals(nc.getSpec().getTls().getPuppet().getEnforceRevocation())) return null;
                return new ClusterInputs.Pinned(PinnedKeys.none().list(names.namespace(), names.cluster()),
                        PortPins.none(nc.getSpec()).render(names.namespace(), names.cluster()));
            }
        };
    }

    private static Map<String, String> labels(String list) {
        try {
            return RuntimeConfig.labelList(list);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("render: " + e.getMessage());
        }
    }

    /**
     * Every form a secret takes in what the model writes, longest first: escaped inside a quoted
     * nats.conf string ({@code password: "a\\"b"}), as is, and URL-encoded in a route URL. The escaped
     * form first, or a password holding {@code "} or {@code \} would leave its escaped copy behind.
     */
    static List<String> forms(String secret) {
        return java.util.stream.Stream.of(io.choria.natsoperator.model.NatsConfig.escaped(secret), secret,
                        io.choria.natsoperator.model.NatsConfig.urlEncoded(secret))
                .filter(f -> !f.isEmpty()).distinct().sorted(java.util.Comparator.comparingInt(String::length).reversed()).toList();
    }

    /** The Secret as readable stringData with every sensitive value replaced, so routes stay visible. */
    static Secret redacted(Secret s, List<String> sensitive) {
        Secret copy = SERIALIZATION.clone(s);
        var text = new LinkedHashMap<String, String>();
        if (s.getData() != null) {
            for (String key : s.getData().keySet()) {
                String value = BrokerSecrets.decode(s, key);
                for (String secret : sensitive) {
                    for (String form : forms(secret)) value = value.replace(form, REDACTED);
                }
                text.put(key, value);
            }
        }
        copy.setData(null);
        copy.setStringData(text);
        return copy;
    }
}
