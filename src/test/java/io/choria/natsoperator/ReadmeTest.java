package io.choria.natsoperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's troubleshooting table lists every reason the operator can set (conditions and Events). */
class ReadmeTest {
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
