package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record CertificateStatus(
        @JsonPropertyDescription("Secret holding the broker certificate.") String secretName,
        @JsonPropertyDescription("Expiry of the broker certificate (RFC 3339).") String notAfter,
        @JsonPropertyDescription("Serial number of the broker certificate (hex).") String serial) {}
