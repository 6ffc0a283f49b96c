package io.choria.natsoperator.runtime;

import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.model.Names;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How {@code nats-operator run} is configured: command-line flags, each with an environment
 * variable the Deployment can set instead. A flag wins over its variable; both fall back to
 * the defaults below.
 *
 * <pre>
 * flag                       env var            default
 * --namespace NS (repeat)    WATCH_NAMESPACES   all namespaces (comma-separated list in the env var)
 * --cluster-domain D         CLUSTER_DOMAIN     cluster.local
 * --log-level L              LOG_LEVEL          info   (trace, debug, info, warn, error, off)
 * --http-port P              HTTP_PORT          8080   (/healthz, /readyz, /metrics)
 * --leader-election          LEADER_ELECTION    false  (true/false; --no-leader-election turns it off)
 * --lease-name N             LEASE_NAME         nats-operator-leader
 * --lease-namespace NS       POD_NAMESPACE      the kubeconfig's namespace (in a pod: the downward API)
 * --sysctl-image IMG         SYSCTL_IMAGE       nats:2.10.24-alpine (the privileged sysctl init container's image)
 * --allow-privileged-sysctls ALLOW_PRIVILEGED_SYSCTLS  true (false: no privileged init container, whatever the spec asks)
 * --operator-namespace NS    POD_NAMESPACE      the kubeconfig's namespace (admitted to the brokers' monitoring port)
 * --operator-pod-labels K=V,...  OPERATOR_POD_LABELS  app.kubernetes.io/name=nats-operator (the operator's own pods)
 * --metrics-namespaces NS,...  METRICS_NAMESPACES  none (namespaces admitted to the brokers' exporter port)
 * </pre>
 *
 * The last five are the installer's choices for every NatsCluster ({@link InstallerSettings});
 * {@code operatorNamespace} is null until {@link #installer} is given the client's namespace.
 */
public record RuntimeConfig(Set<String> namespaces, String clusterDomain, String logLevel, int httpPort,
        boolean leaderElection, String leaseName, String leaseNamespace, String sysctlImage, boolean allowPrivilegedSysctls,
        String operatorNamespace, Map<String, String> operatorPodLabels, List<String> metricsNamespaces) {

    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final String DEFAULT_LEASE_NAME = "nats-operator-leader";
    public static final String DEFAULT_LOG_LEVEL = "info";
    public static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");

    public static final String ENV_WATCH_NAMESPACES = "WATCH_NAMESPACES";
    public static final String ENV_CLUSTER_DOMAIN = "CLUSTER_DOMAIN";
    public static final String ENV_LOG_LEVEL = "LOG_LEVEL";
    public static final String ENV_HTTP_PORT = "HTTP_PORT";
    public static final String ENV_LEADER_ELECTION = "LEADER_ELECTION";
    public static final String ENV_LEASE_NAME = "LEASE_NAME";
    public static final String ENV_POD_NAMESPACE = "POD_NAMESPACE";
    public static final String ENV_SYSCTL_IMAGE = "SYSCTL_IMAGE";
    public static final String ENV_ALLOW_PRIVILEGED_SYSCTLS = "ALLOW_PRIVILEGED_SYSCTLS";
    public static final String ENV_OPERATOR_POD_LABELS = "OPERATOR_POD_LABELS";
    public static final String ENV_METRICS_NAMESPACES = "METRICS_NAMESPACES";

    /** slf4j-simple reads this once, when the first logger is made. */
    static final String SIMPLE_LOGGER_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    public RuntimeConfig {
        namespaces = Set.copyOf(new LinkedHashSet<>(namespaces));
        if (!LOG_LEVELS.contains(logLevel)) {
            throw new IllegalArgumentException("log level '" + logLevel + "' is not one of trace, debug, info, warn, error, off");
        }
        if (httpPort < 0 || httpPort > 65535) throw new IllegalArgumentException("HTTP port " + httpPort + " is not in 0..65535 (0: any free port)");
        if (leaseName == null || leaseName.isBlank()) throw new IllegalArgumentException("the lease name is empty");
        // checked now, so a bad value is a usage error at start, not a failure on the first reconcile
        // (the parameters, not installer(): the fields are not assigned yet in a compact constructor)
        new InstallerSettings(sysctlImage, allowPrivilegedSysctls,
                operatorNamespace != null ? operatorNamespace : InstallerSettings.DEFAULT_OPERATOR_NAMESPACE, operatorPodLabels,
                metricsNamespaces);
        operatorPodLabels = Map.copyOf(operatorPodLabels);
        metricsNamespaces = metricsNamespaces == null ? List.of() : List.copyOf(metricsNamespaces);
    }

    /** The installer's choices, with the operator's namespace when none was given (the kubeconfig's, in practice). */
    public InstallerSettings installer(String fallbackNamespace) {
        return new InstallerSettings(sysctlImage, allowPrivilegedSysctls,
                operatorNamespace != null ? operatorNamespace : fallbackNamespace, operatorPodLabels, metricsNamespaces);
    }

    /** Reads flags and environment; an IllegalArgumentException says what is wrong, for a usage message. */
    public static RuntimeConfig parse(String[] args, Map<String, String> env) {
        Set<String> namespaces = namespaceList(env.get(ENV_WATCH_NAMESPACES));
        boolean namespacesFromFlags = false;
        String clusterDomain = nonBlank(env.get(ENV_CLUSTER_DOMAIN), Names.DEFAULT_CLUSTER_DOMAIN);
        String logLevel = nonBlank(env.get(ENV_LOG_LEVEL), DEFAULT_LOG_LEVEL);
        String port = nonBlank(env.get(ENV_HTTP_PORT), Integer.toString(DEFAULT_HTTP_PORT));
        boolean leaderElection = bool(ENV_LEADER_ELECTION, nonBlank(env.get(ENV_LEADER_ELECTION), "false"));
        String leaseName = nonBlank(env.get(ENV_LEASE_NAME), DEFAULT_LEASE_NAME);
        String leaseNamespace = nonBlank(env.get(ENV_POD_NAMESPACE), null);
        String sysctlImage = nonBlank(env.get(ENV_SYSCTL_IMAGE), InstallerSettings.DEFAULT_SYSCTL_IMAGE);
        boolean allowPrivileged = bool(ENV_ALLOW_PRIVILEGED_SYSCTLS, nonBlank(env.get(ENV_ALLOW_PRIVILEGED_SYSCTLS), "true"));
        String operatorNamespace = nonBlank(env.get(ENV_POD_NAMESPACE), null);
        String podLabels = nonBlank(env.get(ENV_OPERATOR_POD_LABELS), null);
        Set<String> metricsNamespaces = namespaceList(env.get(ENV_METRICS_NAMESPACES));
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String inline = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                inline = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            switch (arg) {
                case "--namespace" -> {
                    if (!namespacesFromFlags) namespaces = new LinkedHashSet<>();
                    namespacesFromFlags = true;
                    namespaces.addAll(namespaceList(inline != null ? inline : value(args, ++i, arg)));
                }
                case "--cluster-domain" -> clusterDomain = inline != null ? inline : value(args, ++i, arg);
                case "--log-level" -> logLevel = inline != null ? inline : value(args, ++i, arg);
                case "--http-port" -> port = inline != null ? inline : value(args, ++i, arg);
                case "--leader-election" -> leaderElection = inline == null || bool(arg, inline);
                case "--no-leader-election" -> leaderElection = false;
                case "--lease-name" -> leaseName = inline != null ? inline : value(args, ++i, arg);
                case "--lease-namespace" -> leaseNamespace = inline != null ? inline : value(args, ++i, arg);
                case "--sysctl-image" -> sysctlImage = inline != null ? inline : value(args, ++i, arg);
                case "--allow-privileged-sysctls" -> allowPrivileged = inline == null || bool(arg, inline);
                case "--operator-namespace" -> operatorNamespace = inline != null ? inline : value(args, ++i, arg);
                case "--operator-pod-labels" -> podLabels = inline != null ? inline : value(args, ++i, arg);
                case "--metrics-namespaces" -> metricsNamespaces = namespaceList(inline != null ? inline : value(args, ++i, arg));
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        int httpPort;
        try {
            httpPort = Integer.parseInt(port.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("HTTP port '" + port + "' is not a number");
        }
        return new RuntimeConfig(namespaces, clusterDomain, logLevel.toLowerCase(Locale.ROOT), httpPort,
                leaderElection, leaseName, leaseNamespace, sysctlImage, allowPrivileged, operatorNamespace,
                podLabels == null ? InstallerSettings.DEFAULT_OPERATOR_POD_LABELS : labelList(podLabels), List.copyOf(metricsNamespaces));
    }

    /** {@code k=v,k=v}, as a label selector's equality terms; shared with {@code render}. */
    public static Map<String, String> labelList(String list) {
        Map<String, String> out = new TreeMap<>();
        for (String term : list.split(",")) {
            if (term.isBlank()) continue;
            int eq = term.indexOf('=');
            if (eq <= 0 || eq == term.length() - 1) throw new IllegalArgumentException("operator pod label '" + term.trim() + "' is not key=value");
            String key = term.substring(0, eq).trim(), value = term.substring(eq + 1).trim();
            if (!LABEL_KEY.matcher(key).matches() || !LABEL_VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException("operator pod label '" + term.trim() + "' is not a valid label");
            }
            out.put(key, value);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no operator pod labels in '" + list + "'");
        return out;
    }

    private static final Pattern LABEL_KEY = Pattern.compile("([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

    /**
     * Sets slf4j-simple's level. Call it before anything creates a logger (the first one fixes
     * the level for the life of the JVM); a level given with -D on the java command line wins.
     */
    public void applyLogLevel() {
        if (System.getProperty(SIMPLE_LOGGER_LEVEL) == null) System.setProperty(SIMPLE_LOGGER_LEVEL, logLevel);
        if (System.getProperty("org.slf4j.simpleLogger.showDateTime") == null) {
            System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
            System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        }
    }

    public static Set<String> namespaceList(String list) {
        Set<String> out = new LinkedHashSet<>();
        if (list == null) return out;
        Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(out::add);
        return out;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    private static String nonBlank(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    private static boolean bool(String what, String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new IllegalArgumentException(what + ": '" + value + "' is not true or false");
        };
    }
}
