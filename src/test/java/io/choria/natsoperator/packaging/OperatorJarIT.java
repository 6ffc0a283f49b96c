package io.choria.natsoperator.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.testing.Examples;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two jars `mvn package` builds (pom.xml, maven-shade-plugin): {@code target/nats-operator.jar}, the operator
 * that operator/Dockerfile puts in the image, holds neither {@code local} (a root-only process runner that the
 * image's uid 65532 can never use) nor the mock API server and its Vert.x and Netty;
 * {@code target/nats-operator-local.jar} holds all of it and runs {@code local}.
 *
 * <p>Why an integration test: what the shaded jars hold exists only after the {@code package} phase, and unit tests
 * run before it. A unit test reading the pom would check the configuration's text, not its effect (a new dependency
 * of the mock server would slip through), and shading inside a unit test would repeat the build. So maven-failsafe
 * runs this class in {@code integration-test}, after {@code package}, and its {@code verify} goal fails the build;
 * CI runs {@code mvn -B verify} (.ci/run, the README's test command). The jars are always there when it runs: it
 * never skips. On the jar built before the split (kubernetes-server-mock shaded whole into the one jar) the first
 * test fails with 4,236 such entries (io/netty, io/vertx, the mock server, local/, cli/LocalCommand), and
 * {@code local} from the operator jar runs instead of saying where it is.
 */
class OperatorJarIT {
    static final Path OPERATOR_JAR = Path.of("target/nats-operator.jar");
    static final Path LOCAL_JAR = Path.of("target/nats-operator-local.jar");
    /** What only {@code local} needs: its code, and the mock API server with what only it brings. */
    static final List<String> LOCAL_ONLY = List.of(
            "io/choria/natsoperator/local/", "io/choria/natsoperator/cli/LocalCommand",
            "io/fabric8/kubernetes/client/server/mock/", "io/fabric8/mockwebserver/", "okhttp3/mockwebserver/",
            "io/vertx/", "io/netty/", "META-INF/vertx/", "META-INF/native-image/io.netty/", "META-INF/io.netty.");

    @TempDir Path dir;

    @Test
    void theOperatorJarHoldsNeitherLocalNorTheMockServer() {
        // META-INF/versions/N/io/vertx/...: a multi-release jar's classes for Java N are theirs too
        List<String> found = entries(OPERATOR_JAR).stream()
                .filter(e -> LOCAL_ONLY.stream().anyMatch(e.replaceFirst("^META-INF/versions/\\d+/", "")::startsWith)).toList();
        assertEquals(List.of(), found.subList(0, Math.min(20, found.size())), found.size() + " entries that only `local` needs, in " + OPERATOR_JAR);
        // nor a service registration naming one of their classes (ServiceLoader would fail on it)
        try (ZipFile jar = new ZipFile(OPERATOR_JAR.toFile())) {
            for (ZipEntry e : jar.stream().filter(e -> e.getName().startsWith("META-INF/services/") && !e.isDirectory()).toList()) {
                String services = new String(jar.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(services.lines().noneMatch(l -> l.startsWith("io.netty.") || l.startsWith("io.vertx.")), e.getName() + ":\n" + services);
                assertTrue(!e.getName().contains("io.vertx") && !e.getName().contains("blockhound"), e.getName());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theOperatorJarHoldsTheOperator() {
        Set<String> entries = entries(OPERATOR_JAR);
        for (String needed : List.of("io/choria/natsoperator/cli/Main.class", "io/choria/natsoperator/cli/RunCommand.class",
                "io/choria/natsoperator/cli/RenderCommand.class", "io/choria/natsoperator/reconciler/NatsClusterReconciler.class",
                "io/fabric8/kubernetes/client/jdkhttp/JdkHttpClientFactory.class", "org/bouncycastle/pkcs/PKCS10CertificationRequest.class",
                "META-INF/fabric8/natsclusters.choria.io-v1.yml", "javaoperatorsdk/reconcilers")) {
            assertTrue(entries.contains(needed), OPERATOR_JAR + " lacks " + needed);
        }
    }

    @Test
    void theLocalJarHoldsTheOperatorAndLocal() {
        Set<String> local = entries(LOCAL_JAR);
        List<String> missing = entries(OPERATOR_JAR).stream().filter(e -> !e.endsWith("/") && !local.contains(e)).toList();
        assertEquals(List.of(), missing, LOCAL_JAR + " lacks what " + OPERATOR_JAR + " holds");
        for (String prefix : LOCAL_ONLY.subList(0, 7)) {
            if (prefix.startsWith("okhttp3/")) continue; // fabric8 7's mock server is on Vert.x, not OkHttp
            assertTrue(local.stream().anyMatch(e -> e.startsWith(prefix) && e.endsWith(".class")), LOCAL_JAR + " lacks " + prefix);
        }
    }

    @Test
    void localFromTheOperatorJarSaysWhichJarHasItAndExits2() throws Exception {
        // PATH without nats-server or ip: a jar that does hold `local` (as root, in CI) says so and exits 1 at once,
        // instead of starting brokers and network namespaces that a killed test would leave behind
        Path emptyPath = Files.createDirectories(dir.resolve("empty-path"));
        Run r = run(List.of(java(), "-jar", OPERATOR_JAR.toString(), "local", "-f", Examples.THREE_BROKERS.toString()),
                Map.of("PATH", emptyPath.toString()));
        assertEquals(2, r.exit, r.out);
        assertEquals("nats-operator: `local` is not in this jar: use target/nats-operator-local.jar", r.out.strip());
    }

    @Test
    void theLocalJarRunsLocalAndStartsTheEmbeddedApiServer() throws Exception {
        Run help = run(List.of(java(), "-jar", LOCAL_JAR.toString(), "local", "--help"));
        assertEquals(0, help.exit, help.out);
        assertTrue(help.out.startsWith("usage: nats-operator local -f FILE"), help.out);
        // the mock server, Vert.x and Netty from that jar alone: the API server `local` runs the operator against
        Path probe = dir.resolve("Probe.java");
        Files.writeString(probe, """
                public class Probe {
                    public static void main(String[] args) {
                        try (var api = new io.choria.natsoperator.local.EmbeddedApiServer()) {
                            api.client().apiextensions().v1().customResourceDefinitions().list().getItems()
                                    .forEach(crd -> System.out.println("crd " + crd.getMetadata().getName()));
                        }
                        System.exit(0); // the mock server's threads would keep the JVM up
                    }
                }
                """);
        Run api = run(List.of(java(), "-cp", LOCAL_JAR.toString(), probe.toString()));
        assertEquals(0, api.exit, api.out);
        assertTrue(api.out.lines().anyMatch(l -> l.equals("crd natsclusters.choria.io")), api.out);
    }

    @Test
    void theOperatorJarRendersTheExample() throws Exception {
        Path secret = io.choria.natsoperator.local.Local.caSecret(dir, Examples.PUPPET_CA);
        Run r = run(List.of(java(), "-jar", OPERATOR_JAR.toString(), "render", "-f", Examples.THREE_BROKERS.toString(), "-f", secret.toString()));
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("kind: \"StatefulSet\""), r.out);
    }

    private static Set<String> entries(Path jar) {
        assertTrue(Files.isRegularFile(jar), jar + " is missing: this test runs after `mvn package` (mvn -B verify)");
        try (ZipFile z = new ZipFile(jar.toFile())) {
            Set<String> names = new TreeSet<>();
            z.stream().forEach(e -> names.add(e.getName()));
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private record Run(int exit, String out) {}

    private Run run(List<String> command) throws Exception {
        return run(command, Map.of());
    }

    private Run run(List<String> command, Map<String, String> env) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("still running after 60 s: " + command + "\n" + Files.readString(out));
        }
        return new Run(p.exitValue(), Files.readString(out));
    }
}
