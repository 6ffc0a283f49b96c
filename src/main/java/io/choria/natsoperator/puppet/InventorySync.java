package io.choria.natsoperator.puppet;

import io.choria.natsoperator.pki.TrustBundle;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;

/**
 * Turns one Puppet CA's inventory into the keys brokers admit: every certname that
 * {@code certificate_statuses} lists as {@code signed}, minus any serial on the CRL (belt and
 * braces: Puppet marks a revoked certificate {@code revoked} and lists it on the CRL). A key is
 * computed from the certificate itself, fetched once per certificate fingerprint and kept, so
 * after the first sync only new certificates cost a request.
 */
public final class InventorySync {
    /** Certificates fetched at once on a first sync (Puppet Server's Jetty serves many more). */
    static final int FETCH_PARALLELISM = 8;

    /**
     * {@code revokedSerials}: every serial on the CA's CRLs (the operator checks its own certificate against them).
     * {@code namesByKey}: for each admitted key, the names its certificate carries ({@link CertificateNames}), from
     * which the leafnode and gateway ports' lists are cut ({@link PortPins}). {@code mappedByKey}: the names verify_and_map
     * looks up, in its order ({@link CertificateNames#mapped}), from which spec.authorization's users are cut ({@link NodeIdentities}).
     */
    public record Result(Set<String> admitted, int signed, int revoked, String crlNumber, int fetched, Duration took, Set<BigInteger> revokedSerials,
            Map<String, Set<String>> namesByKey, Map<String, Set<String>> certnamesByKey, Map<String, List<String>> mappedByKey) {
        public Result(Set<String> admitted, int signed, int revoked, String crlNumber, int fetched, Duration took, Set<BigInteger> revokedSerials,
                Map<String, Set<String>> namesByKey) {
            this(admitted, signed, revoked, crlNumber, fetched, took, revokedSerials, namesByKey, Map.of(), Map.of());
        }
    }

    /**
     * A certificate's key pin ("" when it admits nothing) and its serial, by certificate fingerprint. The serial
     * is kept so that every sync checks it against the current CRL, not only the sync that fetched it.
     */
    private record Pin(String pin, BigInteger serial, Set<String> names, List<String> mapped) {
        static final Pin NONE = new Pin("", null, Set.of(), List.of());
    }

    private final Map<String, Pin> pinByFingerprint = new ConcurrentHashMap<>();

    /** Fetches the CRL too, and checks it against {@code bundle} at {@code now}. */
    public Result sync(PuppetCaClient client, TrustBundle bundle, java.time.Instant now) throws PuppetCaException {
        return sync(client, verifiedCrls(client.crl(), bundle, now));
    }

    /** With the CRLs already fetched (anonymously: they need no auth.conf rule) and verified ({@link #verifiedCrls}). */
    public Result sync(PuppetCaClient client, List<X509CRL> crls) throws PuppetCaException {
        return sync(client, crls, null);
    }

    /**
     * As {@link #sync(PuppetCaClient, List)}, giving up once {@code within} has passed (null: no bound): a first sync at
     * Puppet-estate size fetches thousands of certificates, and a CA that answers each one slowly must not hold a sync
     * worker for hours. The certificates fetched so far are kept, so the next sync goes on from there.
     */
    public Result sync(PuppetCaClient client, List<X509CRL> crls, Duration within) throws PuppetCaException {
        long start = System.nanoTime();
        long deadline = within == null ? 0 : start + within.toNanos();
        Set<BigInteger> revokedSerials = revokedSerials(crls);
        List<PuppetCaClient.CertificateStatus> statuses = client.certificateStatuses();
        List<PuppetCaClient.CertificateStatus> signed = statuses.stream().filter(PuppetCaClient.CertificateStatus::signed).toList();
        Set<String> seen = new HashSet<>();
        List<PuppetCaClient.CertificateStatus> toFetch = new ArrayList<>();
        for (var s : signed) {
            String fp = normalize(s.fingerprint());
            seen.add(fp);
            if (!pinByFingerprint.containsKey(fp)) toFetch.add(s);
        }
        fetchAll(client, toFetch, revokedSerials, deadline, within);
        pinByFingerprint.keySet().retainAll(seen);
        // Kept until the next sync, once per Puppet CA: at an estate of 50,000 certificates each byte per key counts (a
        // HashSet per key, as before, cost about 180 bytes). Nearly every key has one certificate, so its names are
        // that certificate's own immutable set and its certname a one-element set; only a key shared merges.
        Map<String, Set<String>> namesByKey = new java.util.HashMap<>();
        Map<String, Set<String>> certnamesByKey = new java.util.HashMap<>();
        Map<String, List<String>> mappedByKey = new java.util.HashMap<>();
        for (var s : signed) {
            Pin pin = pinByFingerprint.get(normalize(s.fingerprint()));
            if (pin != null && !pin.pin().isEmpty() && !revokedSerials.contains(pin.serial())) {
                namesByKey.merge(pin.pin(), pin.names(), InventorySync::union);
                // the certname as Puppet lists it (spec.tls.puppet.pinnedCertnames matches it)
                certnamesByKey.merge(pin.pin(), Set.of(s.name()), InventorySync::union);
                mappedByKey.merge(pin.pin(), pin.mapped(), InventorySync::concat);
            }
        }
        return new Result(java.util.Collections.unmodifiableSet(namesByKey.keySet()), signed.size(), statuses.size() - signed.size(),
                crlNumber(crls.get(0)), toFetch.size(), Duration.ofNanos(System.nanoTime() - start), Set.copyOf(revokedSerials), namesByKey,
                certnamesByKey, mappedByKey);
    }

    private void fetchAll(PuppetCaClient client, List<PuppetCaClient.CertificateStatus> toFetch, Set<BigInteger> revoked, long deadline,
            Duration within) throws PuppetCaException {
        if (toFetch.isEmpty()) return;
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(FETCH_PARALLELISM, toFetch.size()));
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        try {
            List<Future<?>> work = new ArrayList<>();
            for (var s : toFetch) work.add(pool.submit(() -> {
                // Past the deadline the queued fetches end at once; those running finish within their own deadline.
                if (within != null && System.nanoTime() - deadline > 0) return null;
                fetch(client, s, revoked);
                done.incrementAndGet();
                return null;
            }));
            for (Future<?> f : work) f.get();
            if (done.get() < toFetch.size()) {
                throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "fetching " + toFetch.size() + " new certificates did not finish within "
                        + within.toSeconds() + "s; " + done.get() + " fetched, kept for the next sync", null);
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PuppetCaException p) throw p;
            throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "fetching certificates failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "interrupted", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** One certificate: its key, if the certificate is the one the status row names and not on the CRL ("" otherwise). */
    private void fetch(PuppetCaClient client, PuppetCaClient.CertificateStatus s, Set<BigInteger> revoked) throws PuppetCaException {
        String fp = normalize(s.fingerprint());
        var pem = client.certificate(s.name());
        Pin pin = Pin.NONE;
        if (pem.isPresent()) {
            try {
                X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(pem.get().getBytes(StandardCharsets.US_ASCII)));
                // A certificate re-issued between the two calls has another fingerprint: left for the next sync.
                if (sha256(cert.getEncoded()).equals(fp) && !revoked.contains(cert.getSerialNumber())) {
                    pin = new Pin(TrustBundle.publicKeyPin(cert), cert.getSerialNumber(), Set.copyOf(CertificateNames.of(cert)),
                            CertificateNames.mapped(cert));
                }
            } catch (GeneralSecurityException e) {
                // not a certificate: admit nothing for it
            }
        }
        pinByFingerprint.put(fp, pin);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        if (a.containsAll(b)) return a;
        Set<String> both = new HashSet<>(a);
        both.addAll(b);
        return Set.copyOf(both);
    }

    /** A key signed under two certnames: both certificates' names, in turn (either certificate may present the key). */
    private static List<String> concat(List<String> a, List<String> b) {
        if (a.equals(b)) return a;
        List<String> both = new ArrayList<>(a);
        both.addAll(b);
        return List.copyOf(both);
    }

        public static Set<BigInteger> revokedSerials(List<X509CRL> crls) {
        Set<BigInteger> serials = new HashSet<>();
        for (X509CRL crl : crls) {
            if (crl.getRevokedCertificates() == null) continue;
            for (X509CRLEntry e : crl.getRevokedCertificates()) serials.add(e.getSerialNumber());
        }
        return serials;
    }

    /**
     * The CA's CRLs, each signed by a CA of {@code bundle} and current at {@code now}; otherwise a
     * {@link PuppetCaException} that keeps the last list in force (a forged or replayed CRL could admit a
     * revoked node, or drop every node).
     */
    public static List<X509CRL> verifiedCrls(String crlPem, TrustBundle bundle, java.time.Instant now) throws PuppetCaException {
        List<X509CRL> crls = parseCrls(crlPem);
        for (X509CRL crl : crls) {
            var problem = bundle.crlProblem(crl, now);
            if (problem.isPresent()) throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, problem.get(), null);
        }
        return crls;
    }

    /** Puppet 7 serves the issuing CA's CRL first, then the root's; serials on any of them are refused. */
    static List<X509CRL> parseCrls(String pem) throws PuppetCaException {
        try {
            List<X509CRL> crls = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCRLs(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                crls.add((X509CRL) c);
            }
            if (crls.isEmpty()) throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "the CA's CRL answer holds no CRL", null);
            return crls;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "the CA's CRL does not parse: " + e.getMessage(), e);
        }
    }

    static String crlNumber(X509CRL crl) {
        byte[] ext = crl.getExtensionValue(Extension.cRLNumber.getId());
        if (ext == null) return "none";
        return ASN1Integer.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getValue().toString();
    }

    /** Puppet writes fingerprints as upper-case hex pairs with colons; compare as plain lower-case hex. */
    static String normalize(String fingerprint) {
        return fingerprint == null ? "" : fingerprint.replace(":", "").toLowerCase(java.util.Locale.ROOT);
    }

    static String sha256(byte[] der) {
        return io.choria.natsoperator.pki.Digests.sha256Hex(der);
    }
}
