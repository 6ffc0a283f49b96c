package io.choria.natsoperator.cli;

import java.util.Arrays;

/** {@code nats-operator run|render|local}: one jar, the operator, its offline renderer, and the operator on one machine. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            System.out.println(usage());
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "render" -> RenderCommand.run(rest, System.out, System.err);
                case "run" -> RunCommand.run(rest);
                case "local" -> LocalCommand.run(rest, System.out);
                default -> throw new UsageException("unknown command '" + args[0] + "'");
            };
        } catch (UsageException e) {
            System.err.println("nats-operator: " + e.getMessage());
            return 2;
        }
    }

    static String usage() {
        return """
                usage: nats-operator <command> [options]
                  local  -f FILE [-f FILE ...] [--cluster-domain D] [--log-level L]
                         run the operator and real nats-server brokers on this machine, no Kubernetes
                         needed (root); applies FILE, and its edits, live (see local --help)
                  render -f FILE [-f FILE ...] [--cluster-domain D] [--reveal-secrets] [--no-owner-references] [INSTALLER]
                         print, as YAML, every object the operator would create for the NatsClusters
                         in FILE (Secrets they reference may be given in the files too); no cluster needed;
                         for review unless --no-owner-references (see render --help)
                  run    [--namespace NS ...] [--cluster-domain D] [--log-level L] [--http-port P]
                         [--leader-election] [--lease-name N] [--lease-namespace NS] [INSTALLER]
                         run the operator against the current kubeconfig or the in-cluster config;
                         serves /healthz, /readyz and /metrics on the HTTP port (default 8080);
                         env vars: WATCH_NAMESPACES, CLUSTER_DOMAIN, LOG_LEVEL, HTTP_PORT,
                         LEADER_ELECTION, LEASE_NAME, POD_NAMESPACE, SYSCTL_IMAGE,
                         ALLOW_PRIVILEGED_SYSCTLS, OPERATOR_POD_LABELS, METRICS_NAMESPACES (flags win)
                INSTALLER (the same for run and render):
                         [--sysctl-image IMG] [--allow-privileged-sysctls=true|false]
                         [--operator-namespace NS] [--operator-pod-labels K=V,...]
                         [--metrics-namespaces NS,...]""";
    }

    /** Bad command line: a one-line message and exit code 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
