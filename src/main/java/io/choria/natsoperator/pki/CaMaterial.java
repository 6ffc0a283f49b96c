package io.choria.natsoperator.pki;

/** CA certificate bundle and key as found in a Secret, with the Secret keys they came from. */
public record CaMaterial(String certPem, String keyPem, String certKey, String keyKey) {

    @Override
    public String toString() {
        return "CaMaterial[certKey=" + certKey + ", keyKey=" + keyKey + "]";
    }
}
