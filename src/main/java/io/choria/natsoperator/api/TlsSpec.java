package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** Broker certificates issued from the site's Puppet CA; only Puppet-signed nodes get in. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.caSecretRef) != has(self.puppet)",
        message = "give exactly one of caSecretRef (the operator signs with the CA key) and puppet (the operator enrols with the Puppet CA)")
@ValidationRule(value = "!has(self.renewBeforeDays) || !has(self.validityDays) || self.renewBeforeDays < self.validityDays",
        message = "renewBeforeDays must be less than validityDays")
public class TlsSpec {
    /** Key type of the broker certificate; the spec spells it as {@link #specName()}. */
    public enum KeyAlgorithm {
        @com.fasterxml.jackson.annotation.JsonProperty("RSA-2048") RSA_2048("RSA-2048"),
        @com.fasterxml.jackson.annotation.JsonProperty("EC-P256") EC_P256("EC-P256");

        private final String specName;

        KeyAlgorithm(String specName) {
            this.specName = specName;
        }

        /** The name in the spec (its JSON value), e.g. {@code RSA-2048}. */
        public String specName() {
            return specName;
        }
    }

    @JsonPropertyDescription("Enrol the brokers with the Puppet CA's API (CSR, signed by Puppet); no CA key in Kubernetes. Exclusive with caSecretRef.")
    private PuppetEnrolmentSpec puppet;

    @JsonPropertyDescription("CA-key mode (labs, tests): Secret holding the Puppet CA: certificate bundle (may hold root and intermediate) and key. Keys default to ca.crt/ca.key, tls.crt/tls.key or Puppet's ca_crt.pem/ca_key.pem.")
    private CaSecretReference caSecretRef;

    @Default("true")
    @JsonPropertyDescription("Require client certificates signed by the CA (tls verify). Choria expects true.")
    private Boolean verifyClients = true;

    @Default("EC-P256")
    @JsonPropertyDescription("Key algorithm of the broker certificate: EC-P256 (default) or RSA-2048. A broker spends about 0.9 ms of CPU on a node's TLS connect with EC-P256 and 2.3 ms with RSA-2048, so after a restart it takes its nodes back in well under half the time (docs/BENCHMARKS.md).")
    private KeyAlgorithm keyAlgorithm = KeyAlgorithm.EC_P256;

    @Min(1) @Max(3650) @Default("365")
    @JsonPropertyDescription("Validity of the broker certificate in days.")
    private Integer validityDays = 365;

    @Min(1) @Max(3649) @Default("30")
    @JsonPropertyDescription("Re-issue the certificate this many days before it expires (less than validityDays).")
    private Integer renewBeforeDays = 30;

    @Min(1) @Max(60) @Default("15")
    @JsonPropertyDescription("Seconds a broker allows for a TLS handshake (nats.conf tls timeout). With the short listen backlog (spec.sysctls) no handshake took longer than 1 s in the reconnect storms measured (a 1 s timeout never fired); without it, short timeouts made handshakes fail and retry in lockstep (see docs/BENCHMARKS.md).")
    private Integer handshakeTimeoutSeconds = 15;

    public Integer getHandshakeTimeoutSeconds() { return handshakeTimeoutSeconds; }
    public void setHandshakeTimeoutSeconds(Integer handshakeTimeoutSeconds) { this.handshakeTimeoutSeconds = handshakeTimeoutSeconds; }

    @Min(1) @Max(1_000_000)
    @JsonPropertyDescription("Optional: TLS connections a broker admits per second on the client port (nats.conf tls connection_rate_limit); those over it get an error before any TLS work and retry. Unset: no limit; the short listen backlog (spec.sysctls) already ends reconnect storms sooner (docs/BENCHMARKS.md).")
    private Integer connectionRateLimit;

    public Integer getConnectionRateLimit() { return connectionRateLimit; }
    public void setConnectionRateLimit(Integer connectionRateLimit) { this.connectionRateLimit = connectionRateLimit; }

    @Size(max = SpecPatterns.MAX_EXTRA_SANS)
    @JsonPropertyDescription("Extra DNS names (RFC 1123, lower case, no wildcards) or IP addresses on the broker certificate, e.g. the external name Puppet nodes use, or 'puppet'; at most 100.")
    private List<@Size(min = 1, max = SpecPatterns.MAX_DNS_NAME) @Pattern(SpecPatterns.SAN) String> extraSANs = new ArrayList<>();

    public PuppetEnrolmentSpec getPuppet() { return puppet; }
    public void setPuppet(PuppetEnrolmentSpec puppet) { this.puppet = puppet; }
    public CaSecretReference getCaSecretRef() { return caSecretRef; }
    public void setCaSecretRef(CaSecretReference caSecretRef) { this.caSecretRef = caSecretRef; }
    public Boolean getVerifyClients() { return verifyClients; }
    public void setVerifyClients(Boolean verifyClients) { this.verifyClients = verifyClients; }
    public KeyAlgorithm getKeyAlgorithm() { return keyAlgorithm; }
    public void setKeyAlgorithm(KeyAlgorithm keyAlgorithm) { this.keyAlgorithm = keyAlgorithm; }
    public Integer getValidityDays() { return validityDays; }
    public void setValidityDays(Integer validityDays) { this.validityDays = validityDays; }
    public Integer getRenewBeforeDays() { return renewBeforeDays; }
    public void setRenewBeforeDays(Integer renewBeforeDays) { this.renewBeforeDays = renewBeforeDays; }
    public List<String> getExtraSANs() { return extraSANs; }
    public void setExtraSANs(List<String> extraSANs) { this.extraSANs = extraSANs; }
}
