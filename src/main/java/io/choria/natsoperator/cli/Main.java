package io.choria.natsoperator.cli;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * {@code nats-operator run|render|local}: the operator, its offline renderer, and the operator on one machine.
 * Two jars are built from this one entry point: {@code target/nats-operator.jar} (the image's, {@code run} and
 * {@code render}) holds neither {@code local} nor the mock API server and its Vert.x and Netty;
 * {@code target/nats-operator-local.jar} holds everything. So {@code local} is found by name, never linked.
 */
public final class Main {
    /** {@code local}'s command class; absent from the operator jar (pom.xml, the operator-jar shade execution). */
    static final String LOCAL_COMMAND = "io.choria.natsoperator.cli.LocalCommand";
    static final String LOCAL_JAR = "target/nats-operator-local.jar";

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
                case "local" -> local(LOCAL_COMMAND, rest, System.out);
                default -> throw new UsageException("unknown command '" + args[0] + "'");
            };
        } catch (UsageException e) {
            System.err.println("nats-operator: " + e.getMessage());
            return 2;
        }
    }

    /** Runs {@code local} by its class name: a clear usage error in the operator jar, which does not hold it. */
    static int local(String className, String[] args, PrintStream out) {
        java.lang.reflect.Method run;
        try {
            run = Class.forName(className).getDeclaredMethod("run", String[].class, PrintStream.class);
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw new UsageException("`local` is not in this jar: use " + LOCAL_JAR);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(className + " has no run(String[], PrintStream)", e);
        }
        try {
            return (int) run.invoke(null, args, out);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) throw r; // UsageException among them
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    static String usage() {
        return """
                usage: nats-operator <command> [options]
                  local  -f FILE [-f FILE ...] [--cluster-domain D] [--log-level L]
                         run the operator and real nats-server brokers on this machine, no Kubernetes
                         needed (root); applies FILE, and its edits, live (see local --help);
                         only in target/nats-operator-local.jar
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
