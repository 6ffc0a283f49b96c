package io.choria.natsoperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's troubleshooting table lists every reason the operator can set; CI runs the README's test command;
 * `local` is run from target/nats-operator-local.jar.
 */
class ReadmeTest {
    @Test
    void ciRunsExactlyTheReadmesTestCommand() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String block = readme.substring(readme.indexOf("## The two commands"), readme.indexOf("## Try it on one machine"));
        String testCommand = block.lines().dropWhile(l -> !l.trim().startsWith("# tests")).skip(1).findFirst().orElseThrow().trim();
        // verify, not test: OperatorJarIT checks the two jars that `package` builds (see it for why)
        assertTrue(testCommand.contains("mvn -B verify"), testCommand);
        String ci = Files.readString(Path.of(".ci/run"));
        assertTrue(ci.lines().anyMatch(l -> l.trim().equals(testCommand)), ".ci/run does not run the README's test command: " + testCommand);
        assertTrue(block.contains(".ci/setup local && mvn -q package"), "the main command installs what it needs first");
        assertTrue(block.contains("java -jar target/nats-operator-local.jar local -f"), "the main command runs `local` from its own jar");
    }

    @Test
    void localRunsFromTheLocalJarWherever() throws Exception {
        // target/nats-operator.jar (the image's) has no `local`: it would only say to use nats-operator-local.jar
        java.util.List<Path> files = new java.util.ArrayList<>(java.util.List.of(Path.of("README.md"), Path.of(".ci/setup"), Path.of(".ci/run")));
        try (var docs = Files.list(Path.of("docs"))) {
            docs.filter(f -> f.toString().endsWith(".md")).forEach(files::add);
        }
        for (Path f : files) {
            assertTrue(Files.readString(f).lines().noneMatch(l -> l.contains("nats-operator.jar local")), f + " runs `local` from the operator jar");
        }
    }

    @Test
    void troubleshootingListsEveryReason() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String table = readme.substring(readme.indexOf("## Troubleshooting"), readme.indexOf("## How it works"));
        assertTrue(Reason.values().length > 25, java.util.Arrays.toString(Reason.values()));
        for (Reason reason : Reason.values()) {
            assertTrue(table.contains("`" + reason.name() + "`"), "README troubleshooting table lacks " + reason.name());
        }
    }

    @Test
    void theDependentsTableNamesEveryOwnedObject() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String table = readme.substring(readme.indexOf("**The dependents.**"), readme.indexOf("The PodMonitor (`monitoring.podMonitor`)"));
        java.util.List<Object> all = new java.util.ArrayList<>(io.choria.natsoperator.reconciler.dependent.Dependents.ALL);
        all.add(io.choria.natsoperator.reconciler.dependent.PinnedListDependent.ALL.get(0));
        for (Object d : all) {
            assertTrue(table.contains("| `" + d.getClass().getSimpleName() + "` |"), "README's dependents table lacks " + d.getClass().getSimpleName());
        }
    }
}
