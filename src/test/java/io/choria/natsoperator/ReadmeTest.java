package io.choria.natsoperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's troubleshooting table lists every reason the operator can set; CI runs the README's test command. */
class ReadmeTest {
    @Test
    void ciRunsExactlyTheReadmesTestCommand() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String block = readme.substring(readme.indexOf("## The two commands"), readme.indexOf("## Try it on one machine"));
        String testCommand = block.lines().dropWhile(l -> !l.trim().startsWith("# tests")).skip(1).findFirst().orElseThrow().trim();
        assertTrue(testCommand.contains("mvn -B test"), testCommand);
        String ci = Files.readString(Path.of(".ci/run"));
        assertTrue(ci.lines().anyMatch(l -> l.trim().equals(testCommand)), ".ci/run does not run the README's test command: " + testCommand);
        assertTrue(block.contains(".ci/setup local && mvn -q package"), "the main command installs what it needs first");
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
}
