package io.choria.natsoperator.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The operator image (operator/Dockerfile; no Docker engine runs in CI, so the descriptor is read) holds the
 * operator jar only: target/nats-operator.jar, never target/nats-operator-local.jar, whose {@code local} needs root
 * and whose mock API server, Vert.x and Netty the operator never uses. OperatorJarIT checks what that jar holds.
 */
class OperatorImageTest {
    private static final Path DOCKERFILE = Path.of("operator/Dockerfile");

    @Test
    void theImageCopiesOnlyTheOperatorJarAndRunsIt() throws Exception {
        // one instruction each: comment lines dropped, continued lines joined
        String text = String.join("\n", Files.readAllLines(DOCKERFILE).stream().filter(l -> !l.strip().startsWith("#")).toList());
        List<String> instructions = text.replaceAll("\\\\\n", " ").lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        List<String> copies = instructions.stream().filter(l -> l.matches("(?i)(COPY|ADD)\\s.*")).toList();
        assertEquals(List.of("COPY --chown=0:0 --chmod=0444 target/nats-operator.jar /opt/nats-operator/nats-operator.jar"), copies,
                "the image gets the operator jar and nothing else from the build");
        assertEquals(List.of("ENTRYPOINT [\"java\", \"-XX:-UsePerfData\", \"-jar\", \"/opt/nats-operator/nats-operator.jar\"]"),
                instructions.stream().filter(l -> l.startsWith("ENTRYPOINT")).toList());
        assertFalse(instructions.stream().anyMatch(l -> l.contains("nats-operator-local")), String.join("\n", instructions));
    }
}
