package io.choria.natsoperator.model;

/** The PEM files a broker serves: leaf + chain, its key, and the CA bundle it trusts. */
public record TlsFiles(String certificateChainPem, String privateKeyPem, String caBundlePem) {
    @Override
    public String toString() {
        return "TlsFiles[key redacted]";
    }
}
