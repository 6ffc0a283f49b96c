package io.choria.natsoperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.pki.PkiException;
import io.choria.natsoperator.reconciler.Reasons;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's troubleshooting table lists every condition reason the operator can set. */
class ReadmeTest {
    @Test
    void troubleshootingListsEveryReason() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String table = readme.substring(readme.indexOf("## Troubleshooting"), readme.indexOf("## How it works"));
        List<String> reasons = new ArrayList<>();
        for (Field f : Reasons.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) reasons.add((String) f.get(null));
        }
        for (PkiException.Reason r : PkiException.Reason.values()) reasons.add(r.name());
        assertTrue(reasons.size() > 25, reasons.toString());
        for (String reason : reasons) {
            assertTrue(table.contains("`" + reason + "`"), "README troubleshooting table lacks " + reason);
        }
    }
}
