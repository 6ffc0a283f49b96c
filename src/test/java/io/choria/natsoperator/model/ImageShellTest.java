package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The official nats image lacks sh except in its -alpine tags; other images are given the benefit of the doubt. */
class ImageShellTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "nats:2.10.24, true",
            "nats, true",
            "nats:latest, true",
            "nats:2.10.24-scratch, true",
            "docker.io/library/nats:2.10.24, true",
            "docker.io/nats:2.10.24, true",
            "library/nats:2.10.24, true",
            "registry.example.com:5000/library/nats:2.10.24, true",
            "public.ecr.aws/docker/library/nats:2.10.24, true",
            "NATS:2.10.24, true",
            "nats:2.10.24@sha256:0123456789abcdef, true",
            "nats:2.10.24-alpine, false",
            "nats:2.10.24-alpine3.21, false",
            "docker.io/library/nats:2.10-alpine, false",
            "nats@sha256:0123456789abcdef, false",
            "myorg/nats:2.10.24, false",
            "registry.example.com/choria/nats:2.10.24, false",
            "natsio/nats-box:0.14.5, false",
            "registry.example.com:5000/nats-custom:1, false",
    })
    void officialNonAlpineTagsAreFlagged(String image, boolean flagged) {
        assertEquals(flagged, ImageShell.knownWithoutShell(image), image);
    }
}
