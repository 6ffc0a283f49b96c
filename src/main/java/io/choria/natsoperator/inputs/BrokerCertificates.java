package io.choria.natsoperator.inputs;

import io.choria.natsoperator.api.CertificateStatus;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsClusterModel;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.pki.CertificateAuthority;
import io.choria.natsoperator.pki.CertificateInfo;
import io.choria.natsoperator.pki.IssuedCertificate;
import io.choria.natsoperator.pki.PkiException;
import io.choria.natsoperator.pki.RenewalPolicy;
import io.choria.natsoperator.pki.ServerCertificateRequest;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides the broker certificate, with no I/O: keep the one in the {@code <name>-tls} Secret,
 * or issue a new one from the CA when it nears expiry, its SANs or the CA changed. Used by the
 * reconciler and by {@code render}. A CA that cannot be used is an {@link InputProblem} whose
 * reason names what is wrong (the pki reasons, or {@link Reason#CaSecretNotFound}).
 */
public final class BrokerCertificates {
    /** The files to serve; {@code issuedBecause} is set when a new certificate was issued. */
    public record Plan(TlsFiles files, Optional<String> issuedBecause, CertificateStatus status, Instant renewAt) {}

    private BrokerCertificates() {}

    public static Plan plan(NatsCluster nc, Secret caSecret, Secret existingTls, String clusterDomain, Instant now) {
        return plan(nc, caSecret, existingTls, clusterDomain, now, CaCache.NONE);
    }

    /** As above, with the CA parsed and key-checked once per CA Secret version ({@code cas}). */
    public static Plan plan(NatsCluster nc, Secret caSecret, Secret existingTls, String clusterDomain, Instant now, CaCache cas) {
        TlsSpec tls = nc.getSpec().getTls();
        Names names = Names.of(nc, clusterDomain);
        if (caSecret == null) {
            throw new InputProblem(Reason.CaSecretNotFound, "CA Secret '" + tls.getCaSecretRef().getName()
                    + "' (spec.tls.caSecretRef) not found in namespace " + names.namespace());
        }
        CertificateAuthority ca;
        try {
            ca = cas.load(caSecret, tls.getCaSecretRef().getCertKey(), tls.getCaSecretRef().getKeyKey(), now);
        } catch (PkiException e) {
            throw new InputProblem(e.reason(), "CA Secret '" + tls.getCaSecretRef().getName() + "': " + e.getMessage());
        }
        TlsSpec.KeyAlgorithm alg = tls.getKeyAlgorithm();
        List<String> sans = NatsClusterModel.certificateDnsNames(nc, clusterDomain);
        Map<String, byte[]> existing = existingTls == null ? Map.of() : bytes(existingTls);
        String certPem = text(existing, "tls.crt");
        String keyPem = text(existing, "tls.key");
        Optional<String> reason = RenewalPolicy.renewalReason(certPem, keyPem, ca, sans, alg, tls.getRenewBeforeDays(), now);
        if (reason.isPresent()) {
            IssuedCertificate issued = ca.issue(new ServerCertificateRequest(names.certificateCommonName(), sans, alg, tls.getValidityDays()), now);
            try {
                // Served only if it verifies: a CA can sign what no client accepts (pathLen, nameConstraints).
                // Nothing is written on failure, so the certificate served before stays.
                ca.verifyIssued(issued, now);
            } catch (PkiException e) {
                throw new InputProblem(e.reason(), "CA Secret '" + tls.getCaSecretRef().getName() + "': " + e.getMessage());
            }
            certPem = issued.certificateChainPem();
            keyPem = issued.privateKeyPem();
        }
        CertificateInfo info;
        try {
            info = CertificateInfo.parse(certPem);
        } catch (PkiException e) {
            throw new IllegalStateException("a certificate just checked or issued does not parse", e);
        }
        // ca.crt follows the CA Secret even when the leaf stays (a CA renewed with the same key).
        TlsFiles files = new TlsFiles(certPem, keyPem, ca.trustBundlePem());
        CertificateStatus status = new CertificateStatus(names.tlsSecret(), info.notAfter().toString(), info.serialHex());
        return new Plan(files, reason, status, RenewalPolicy.renewalTime(info.notAfter(), tls.getRenewBeforeDays()));
    }

    static Map<String, byte[]> bytes(Secret s) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        if (s.getData() != null) {
            s.getData().forEach((k, v) -> {
                if (v == null) return; // a key with no value (possible in a file given to render): as if absent
                try {
                    out.put(k, Base64.getMimeDecoder().decode(v));
                } catch (IllegalArgumentException e) {
                    throw new InputProblem(Reason.CaCertificateInvalid, "Secret '"
                            + s.getMetadata().getName() + "' key '" + k + "' is not base64");
                }
            });
        }
        if (s.getStringData() != null) s.getStringData().forEach((k, v) -> {
            if (v != null) out.put(k, v.getBytes(StandardCharsets.UTF_8));
        });
        return out;
    }

    private static String text(Map<String, byte[]> data, String key) {
        byte[] b = data.get(key);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
