package io.choria.natsoperator.puppet;

import io.choria.natsoperator.api.CertificateStatus;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.pki.CertificateInfo;
import io.choria.natsoperator.pki.CertificateSigningRequests;
import io.choria.natsoperator.pki.PkiException;
import io.choria.natsoperator.pki.RenewalPolicy;
import io.choria.natsoperator.pki.TrustBundle;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The broker certificate in enrolment mode, as a Puppet agent gets its own: the operator makes
 * the key, keeps it in {@code <name>-tls-request} with the CSR, and only then hands the request to
 * the Puppet CA ({@link Ca}: the operator's {@link EnrolmentPoller} submits it and collects the
 * certificate beside the reconcile, at once under autosign); a certificate Puppet signed is checked
 * before it is served. The CA key is never needed.
 *
 * <p>Puppet signs one certificate per certname until it is cleaned, so every new key gets a new
 * certname ({@link #certname}): renewal and new names after scaling are a fresh CSR, never a
 * clash with the certificate in use. Until the new one is signed the brokers keep serving the old.
 */
public final class BrokerEnrolment {
    static final String CERTNAME = "certname";
    static final String KEY = "tls.key";
    static final String CSR = "csr.pem";
    static final String NAMES = "names";

    /** What the brokers serve (null: nothing signed yet), the request to keep (null: none), and the CertificateReady verdict. */
    public record Outcome(TlsFiles serve, Map<String, String> pendingRequest, boolean ready, Reason reason, String message,
            CertificateStatus status, Instant renewAt, Optional<String> signedEvent) {}

    /**
     * The Puppet CA as the reconcile sees it: where it is, and its latest answer about a request. The operator asks it
     * beside the reconcile ({@link EnrolmentPoller}), so a slow CA never holds a reconcile.
     */
    public interface Ca {
        java.net.URI url();

        /** Empty until the CA has answered about this request; called only once the request is stored. */
        Optional<EnrolmentPoller.Answer> answer(String certname, String csrPem);
    }

    private BrokerEnrolment() {}

    public static Outcome plan(Names names, TlsSpec tls, TrustBundle bundle, Secret existingTls, Secret requestSecret,
            Optional<String> challengePassword, List<String> sans, Instant now, Ca ca, Consumer<Map<String, String>> persistRequest) {
        return plan(names, tls, bundle, existingTls, requestSecret, challengePassword, sans, now, ca, persistRequest, serial -> false);
    }

    /** As above; {@code revokedInPuppet} says whether a serial (hex) is on the CA's CRL, as the last inventory sync saw it. */
    public static Outcome plan(Names names, TlsSpec tls, TrustBundle bundle, Secret existingTls, Secret requestSecret,
            Optional<String> challengePassword, List<String> sans, Instant now, Ca ca, Consumer<Map<String, String>> persistRequest,
            java.util.function.Predicate<String> revokedInPuppet) {
        String certPem = BrokerSecrets.decode(existingTls, "tls.crt");
        String keyPem = BrokerSecrets.decode(existingTls, "tls.key");
        TlsFiles current = null;
        CertificateInfo currentInfo = null;
        Optional<String> renewal = RenewalPolicy.renewalReason(certPem, keyPem,
                info -> bundle.verificationProblem(certPem, withinValidity(info, now)).isEmpty(),
                withOwnCertname(sans, certPem), tls.getKeyAlgorithm(), tls.getRenewBeforeDays(), now);
        if (renewal.isEmpty() && certPem != null) {
            try {
                String serial = CertificateInfo.parse(certPem).serialHex();
                if (revokedInPuppet.test(serial)) renewal = Optional.of("serial " + serial + " was revoked in Puppet");
            } catch (PkiException e) {
                // unparseable: renewalReason has said so already
            }
        }
        if (certPem != null && keyPem != null) {
            try {
                currentInfo = CertificateInfo.parse(certPem);
                if (bundle.verificationProblem(certPem, now).isEmpty()) current = new TlsFiles(certPem, keyPem, bundle.pem());
            } catch (PkiException e) {
                currentInfo = null;
            }
        }
        if (renewal.isEmpty() && current != null) {
            return new Outcome(current, null, true, Reason.CertificateValid, "serving Puppet-signed certificate serial "
                    + currentInfo.serialHex() + commonName(certPem).map(cn -> " (certname " + cn + ")").orElse("")
                    + " valid until " + currentInfo.notAfter(), status(names, currentInfo),
                    RenewalPolicy.renewalTime(currentInfo.notAfter(), tls.getRenewBeforeDays()), Optional.empty());
        }
        String why = renewal.orElse("the certificate no longer verifies against the Puppet CA bundle");

        Map<String, String> request = request(requestSecret, sans, tls.getKeyAlgorithm());
        if (request == null) {
            KeyPair keys;
            try {
                keys = CertificateSigningRequests.newKeyPair(tls.getKeyAlgorithm());
            } catch (PkiException e) {
                return notReady(current, currentInfo, names, null, Reason.KeyGenerationFailed, e.getMessage(), now);
            }
            String certname = certname(names, keys.getPublic().getEncoded());
            request = new LinkedHashMap<>();
            request.put(CERTNAME, certname);
            request.put(KEY, CertificateSigningRequests.privateKeyPem(keys));
            request.put(CSR, CertificateSigningRequests.csrPem(keys, certname, sans, challengePassword));
            request.put(NAMES, String.join("\n", normalized(sans)));
            // The key is in Kubernetes before the CA hears of it: a signed certificate is never orphaned.
            persistRequest.accept(request);
        }
        String certname = request.get(CERTNAME);
        Optional<EnrolmentPoller.Answer> answer = ca.answer(certname, request.get(CSR));
        String sign = "; on the Puppet Server run: puppetserver ca sign --certname " + certname;
        if (answer.isEmpty()) {
            return notReady(current, currentInfo, names, request, Reason.AwaitingSigning, "asking the Puppet CA at " + ca.url()
                    + " about certificate request '" + certname + "' (" + why + "); if it does not sign at once, on the Puppet Server run: "
                    + "puppetserver ca sign --certname " + certname, now);
        }
        EnrolmentPoller.Answer a = answer.get();
        return switch (a.state()) {
            case SIGNED -> accept(names, tls, bundle, request, a.certificatePem(), why, now, current, currentInfo);
            case PENDING -> notReady(current, currentInfo, names, request, Reason.AwaitingSigning, "waiting for the Puppet CA at "
                    + ca.url() + " to sign certificate request '" + certname + "' (" + why + ")" + sign, now);
            case REFUSED -> notReady(current, currentInfo, names, request, Reason.CertificateRequestRefused, a.message(), now);
            case UNREACHABLE -> notReady(current, currentInfo, names, request, Reason.PuppetCAUnreachable, a.message(), now);
        };
    }

    /** The signed certificate, checked before it is served: it is ours (our key), chains to the bundle by PKIX, carries our names. */
    private static Outcome accept(Names names, TlsSpec tls, TrustBundle bundle, Map<String, String> request, String signedPem, String why,
            Instant now, TlsFiles current, CertificateInfo currentInfo) {
        String certname = request.get(CERTNAME);
        try {
            CertificateInfo info = CertificateInfo.parse(signedPem);
            Optional<String> problem = bundle.verificationProblem(signedPem, now);
            Set<String> wanted = new TreeSet<>(List.of(request.get(NAMES).split("\n")));
            String problemText = problem.map(p -> "does not verify against the Puppet CA bundle: " + p)
                    .orElse(!info.subjectAltNames().containsAll(wanted) ? "lacks names the brokers need (is allow-subject-alt-names on in ca.conf?): "
                            + wanted.stream().filter(n -> !info.subjectAltNames().contains(n)).toList() : null);
            if (problemText == null && !CertificateSigningRequests.certificateMatchesKey(signedPem, request.get(KEY))) {
                problemText = "does not match the key of the request";
            }
            if (problemText != null) {
                return notReady(current, currentInfo, names, request, Reason.CertificateNotTrusted, "the certificate Puppet signed for '"
                        + certname + "' " + problemText, now);
            }
            TlsFiles files = new TlsFiles(bundle.servedChainPem(signedPem), request.get(KEY), bundle.pem());
            return new Outcome(files, null, true, Reason.CertificateValid, "serving Puppet-signed certificate serial " + info.serialHex()
                    + " (certname " + certname + ") valid until " + info.notAfter(), status(names, info),
                    RenewalPolicy.renewalTime(info.notAfter(), tls.getRenewBeforeDays()),
                    Optional.of("Puppet CA signed certificate '" + certname + "' serial " + info.serialHex() + ", valid until "
                            + info.notAfter() + " (" + why + ")"));
        } catch (PkiException e) {
            return notReady(current, currentInfo, names, request, Reason.CertificateNotTrusted, "the certificate Puppet signed for '"
                    + certname + "' does not parse: " + e.getMessage(), now);
        }
    }

    private static Outcome notReady(TlsFiles current, CertificateInfo currentInfo, Names names, Map<String, String> request,
            Reason reason, String message, Instant now) {
        String serving = current != null ? "; the brokers keep serving serial " + currentInfo.serialHex() + " until then" : "";
        return new Outcome(current, request, false, reason, message + serving, currentInfo != null ? status(names, currentInfo) : null,
                now.plusSeconds(15), Optional.empty());
    }

    /** Puppet adds the certname to every certificate's SANs: it is expected there, not a change of names. */
    static List<String> withOwnCertname(List<String> sans, String certPem) {
        Optional<String> cn = commonName(certPem);
        if (cn.isEmpty()) return sans;
        List<String> all = new java.util.ArrayList<>(sans);
        all.add(cn.get());
        return all;
    }

    /** The certificate's CN: Puppet's certname. */
    static Optional<String> commonName(String certPem) {
        if (certPem == null) return Optional.empty();
        try {
            var subject = org.bouncycastle.asn1.x500.X500Name.getInstance(CertificateInfo.parse(certPem).certificate().getSubjectX500Principal().getEncoded());
            var cn = subject.getRDNs(org.bouncycastle.asn1.x500.style.BCStyle.CN);
            return cn.length == 0 ? Optional.empty() : Optional.of(org.bouncycastle.asn1.x500.style.IETFUtils.valueToString(cn[0].getFirst().getValue()));
        } catch (PkiException e) {
            return Optional.empty();
        }
    }

    /**
     * "Issued by this CA" is asked at a time the leaf is valid, so that expiry is reported as expiry
     * (RenewalPolicy's own check), not as another CA. Puppet backdates a leaf's notBefore by a day,
     * often before its own CA existed: so not at notBefore, but now, clamped into the leaf's validity.
     */
    static Instant withinValidity(CertificateInfo info, Instant now) {
        if (now.isAfter(info.notAfter())) return info.notAfter().minusSeconds(1);
        if (now.isBefore(info.notBefore())) return info.notBefore().plusSeconds(1);
        return now;
    }

    /** The pending request, when it is still the one wanted: same names, same key type. Otherwise a new one is made. */
    static Map<String, String> request(Secret requestSecret, List<String> sans, TlsSpec.KeyAlgorithm alg) {
        if (requestSecret == null) return null;
        Map<String, String> r = new LinkedHashMap<>();
        for (String k : List.of(CERTNAME, KEY, CSR, NAMES)) {
            String v = BrokerSecrets.decode(requestSecret, k);
            if (v == null || v.isBlank()) return null;
            r.put(k, v);
        }
        if (!r.get(NAMES).equals(String.join("\n", normalized(sans)))) return null;
        if (!CertificateSigningRequests.isKeyOf(r.get(KEY), alg)) return null;
        return r;
    }

    private static Set<String> normalized(List<String> sans) {
        return sans.stream().map(CertificateInfo::normalizeName).collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * {@code <name>.<namespace>.nats-<8 hex of the public key>}, or, past the 64 characters of an
     * X.509 common name, {@code nats-<16 hex of namespace/name>-<8 hex>}: one certname per key,
     * lower case, as Puppet wants it.
     */
    public static String certname(Names names, byte[] publicKeyDer) {
        String keyId = sha256Hex(publicKeyDer).substring(0, 8);
        String readable = names.cluster() + "." + names.namespace() + ".nats-" + keyId;
        if (readable.length() <= 64) return readable;
        return "nats-" + sha256Hex((names.namespace() + "/" + names.cluster()).getBytes(StandardCharsets.UTF_8)).substring(0, 16) + "-" + keyId;
    }

    private static CertificateStatus status(Names names, CertificateInfo info) {
        return new CertificateStatus(names.tlsSecret(), info.notAfter().toString(), info.serialHex());
    }

    private static String sha256Hex(byte[] b) {
        return io.choria.natsoperator.pki.Digests.sha256Hex(b);
    }
}
