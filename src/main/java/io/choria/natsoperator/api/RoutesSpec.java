package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class RoutesSpec {
    @JsonPropertyDescription("Secret key holding the route password (key defaults to 'password'). When absent the operator generates a Secret '<name>-routes' once and never rotates it. A Secret you name is only read, never changed.")
    private SecretKeyReference passwordSecretRef;

    public SecretKeyReference getPasswordSecretRef() { return passwordSecretRef; }
    public void setPasswordSecretRef(SecretKeyReference passwordSecretRef) { this.passwordSecretRef = passwordSecretRef; }
}
