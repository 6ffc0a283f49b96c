package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class CaSecretReference {
    @Required
    @JsonPropertyDescription("Name of the Secret holding the CA, in the NatsCluster's namespace.")
    private String name;

    @JsonPropertyDescription("Key of the CA certificate bundle; default: the first of ca.crt, tls.crt, ca_crt.pem present.")
    private String certKey;

    @JsonPropertyDescription("Key of the CA private key; default: the first of ca.key, tls.key, ca_key.pem present.")
    private String keyKey;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getCertKey() { return certKey; }
    public void setCertKey(String certKey) { this.certKey = certKey; }
    public String getKeyKey() { return keyKey; }
    public void setKeyKey(String keyKey) { this.keyKey = keyKey; }
}
