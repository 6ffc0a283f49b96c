package io.choria.natsoperator.puppet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.choria.natsoperator.pki.PemSslContexts;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;

/**
 * The Puppet CA's HTTP API (Puppet Server 7, {@code /puppet-ca/v1}), as an agent uses it:
 * submit a CSR, fetch a signed certificate, fetch the CRL (none of which needs a client
 * certificate), and, with a client certificate that auth.conf allows, list the certificate
 * statuses. The CA's own server certificate is verified against the bundle the user gave.
 *
 * <p>Whoever writes a NatsCluster chooses the URL, so every answer is treated as possibly hostile
 * ({@link Limits}): one deadline covers each whole exchange, connect to the body's last byte (the
 * JDK's request timeout stops at the response headers, so a server dripping one byte a second held
 * a call for as long as it liked); {@code certificate_statuses} is parsed as a stream, keeping three
 * short strings a row, with a cap on the rows; a certificate, a CRL and any other answer are read
 * up to their cap and refused past it, without reading the rest. A cap hit is
 * {@link PuppetCaException.Kind#TOO_LARGE}, naming the cap.
 */
public final class PuppetCaClient {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** Error pages, the CSR answer: a few hundred bytes from Puppet Server; only the first 300 characters are shown. */
    static final int MAX_OTHER_BYTES = 64 << 10;

    /**
     * What one exchange may cost. {@code deadline}: the whole exchange, body included. {@code maxCertificates}: rows of
     * {@code certificate_statuses} (each held as a name, a state and a fingerprint, about 300 bytes, so the default
     * 100,000 rows is about 30 MB while one sync runs). {@code maxStatusesBytes}: that answer's bytes as streamed (never
     * held whole; a real row is 0.5 to 1 KB with its alt names and extensions). {@code maxCertificateBytes}: one PEM
     * certificate (a Puppet agent's is 2 KB). {@code maxCrlBytes}: the CRL PEM (about 50 bytes a revoked serial, so 8 MiB is
     * 150,000 revocations; held while it is parsed).
     */
    public record Limits(Duration deadline, int maxCertificates, long maxStatusesBytes, int maxCertificateBytes, int maxCrlBytes) {
        public static final Limits DEFAULT = new Limits(DEFAULT_TIMEOUT, 100_000, 256L << 20, 64 << 10, 8 << 20);
    }

    /** One row of {@code certificate_statuses}: the certname, its state and the SHA-256 fingerprint of the certificate. */
    public record CertificateStatus(String name, String state, String fingerprint) {
        public boolean signed() {
            return "signed".equals(state);
        }
    }

    /**
     * Closes a body still being read once its exchange's deadline passes; one daemon thread for every client, as it
     * only ever closes a stream.
     */
    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "puppet-ca-deadlines");
        t.setDaemon(true);
        return t;
    });

    private final URI base;
    private final HttpClient http;
    private final Limits limits;
    private final JsonFactory json;

    private PuppetCaClient(URI base, SSLContext tls, Limits limits) {
        this.base = base;
        this.limits = limits;
        this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(limits.deadline())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        // A row's strings are short (a certname is at most 255 characters); a megabyte string is an attack, not a row.
        this.json = JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(64 << 10).maxNestingDepth(16).maxNumberLength(100).build()).build();
    }

    /** Anonymous, as an agent before it has a certificate. */
    public static PuppetCaClient anonymous(URI base, String caBundlePem) throws GeneralSecurityException {
        return anonymous(base, caBundlePem, Limits.DEFAULT);
    }

    public static PuppetCaClient anonymous(URI base, String caBundlePem, Limits limits) throws GeneralSecurityException {
        return new PuppetCaClient(base, PemSslContexts.trustingContext(caBundlePem), limits);
    }

    /** Presenting a Puppet-signed certificate (for certificate_statuses, which auth.conf must allow). */
    public static PuppetCaClient authenticated(URI base, String caBundlePem, String certPem, String keyPem) throws GeneralSecurityException {
        return authenticated(base, caBundlePem, certPem, keyPem, Limits.DEFAULT);
    }

    public static PuppetCaClient authenticated(URI base, String caBundlePem, String certPem, String keyPem, Limits limits)
            throws GeneralSecurityException {
        return new PuppetCaClient(base, PemSslContexts.clientContext(certPem, keyPem, caBundlePem), limits);
    }

    public URI base() {
        return base;
    }

    public Limits limits() {
        return limits;
    }

    /** PUT /certificate_request/{certname}: Puppet stores it, and signs it at once when autosign allows. */
    public void submitRequest(String certname, String csrPem) throws PuppetCaException {
        HttpRequest req = request("certificate_request/" + encode(certname))
                .header("Content-Type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.ofString(csrPem)).build();
        Answer a = text(req, MAX_OTHER_BYTES, "the answer to a certificate request");
        if (a.status != 200) throw refusal(a, "certificate request for " + certname);
    }

    /** GET /certificate/{certname}: the signed certificate, or empty while it is not signed. */
    public Optional<String> certificate(String certname) throws PuppetCaException {
        Answer a = text(request("certificate/" + encode(certname)).GET().build(), limits.maxCertificateBytes(),
                "certificate " + certname);
        if (a.status == 404) return Optional.empty();
        if (a.status != 200) throw refusal(a, "certificate " + certname);
        return Optional.of(a.body);
    }

    /** GET /certificate_request/{certname}: whether a CSR for it is waiting to be signed. */
    public boolean requestPending(String certname) throws PuppetCaException {
        Answer a = text(request("certificate_request/" + encode(certname)).GET().build(), limits.maxCertificateBytes(),
                "certificate request " + certname);
        if (a.status == 404) return false;
        if (a.status != 200) throw refusal(a, "certificate request " + certname);
        return true;
    }

    /** GET /certificate_revocation_list/ca: the CA's CRL, PEM. */
    public String crl() throws PuppetCaException {
        Answer a = text(request("certificate_revocation_list/ca").GET().build(), limits.maxCrlBytes(), "the CRL");
        if (a.status != 200) throw refusal(a, "CRL");
        return a.body;
    }

    /** GET /certificate_statuses/any_key: every certname the CA knows, with its state. */
    public List<CertificateStatus> certificateStatuses() throws PuppetCaException {
        HttpRequest req = request("certificate_statuses/any_key").header("Accept", "application/json").GET().build();
        return exchange(req, "certificate_statuses", (status, in) -> {
            if (status != 200) throw refusal(new Answer(status, read(in, MAX_OTHER_BYTES, null)), "certificate_statuses");
            return statuses(new Capped(in, limits.maxStatusesBytes(), "certificate_statuses"));
        });
    }

    /** Row by row: of each row only its name, state and SHA-256 fingerprint are kept, and at most maxCertificates rows. */
    private List<CertificateStatus> statuses(InputStream in) throws IOException, PuppetCaException {
        List<CertificateStatus> out = new ArrayList<>();
        try (JsonParser p = json.createParser(in)) {
            if (p.nextToken() != JsonToken.START_ARRAY) throw notJson("not a JSON array");
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.START_OBJECT) {
                if (out.size() >= limits.maxCertificates()) {
                    throw new PuppetCaException(PuppetCaException.Kind.TOO_LARGE, "Puppet CA " + base + ": certificate_statuses lists more than "
                            + limits.maxCertificates() + " certificates, the operator's cap; the answer was not read further", null);
                }
                String name = "", state = "", fingerprint = "", sha256 = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken v = p.nextToken();
                    switch (field) {
                        case "name" -> name = scalar(p, v);
                        case "state" -> state = state(scalar(p, v));
                        case "fingerprint" -> fingerprint = scalar(p, v);
                        case "fingerprints" -> {
                            if (v != JsonToken.START_OBJECT) {
                                p.skipChildren();
                                break;
                            }
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String alg = p.currentName();
                                JsonToken fv = p.nextToken();
                                if ("SHA256".equals(alg)) sha256 = scalar(p, fv);
                                else p.skipChildren();
                            }
                        }
                        default -> p.skipChildren();
                    }
                }
                out.add(new CertificateStatus(name, state, sha256 != null ? sha256 : fingerprint));
            }
            if (t != JsonToken.END_ARRAY) throw notJson("a row is not a JSON object");
            return out;
        }
    }

    private static String scalar(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
            p.skipChildren();
            return "";
        }
        return t == JsonToken.VALUE_NULL ? "" : p.getValueAsString("");
    }

    /** The few states Puppet lists, as one String each rather than one per row. */
    private static String state(String s) {
        return switch (s) {
            case "signed" -> "signed";
            case "revoked" -> "revoked";
            case "requested" -> "requested";
            default -> s.length() > 32 ? s.substring(0, 32) : s;
        };
    }

    private PuppetCaException notJson(String why) {
        return new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "certificate_statuses is not JSON: " + why, null);
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve("/puppet-ca/v1/" + path)).timeout(limits.deadline());
    }

    private static String encode(String certname) {
        return URLEncoder.encode(certname, StandardCharsets.UTF_8);
    }

    private record Answer(int status, String body) {}

    /** Reads one answer from its status and body; may throw for a refusal, a cap or a bad answer. */
    private interface BodyReader<T> {
        T read(int status, InputStream body) throws IOException, PuppetCaException;
    }

    /** A text answer of at most {@code max} bytes (an error answer: at most MAX_OTHER_BYTES). */
    private Answer text(HttpRequest req, int max, String what) throws PuppetCaException {
        return exchange(req, what, (status, in) -> new Answer(status, read(in, status == 200 ? max : MAX_OTHER_BYTES, status == 200 ? what : null)));
    }

    /** At most {@code max} bytes; more is a TOO_LARGE naming {@code what} and the cap (or, for an error page, cut off). */
    private String read(InputStream in, int max, String what) throws IOException, PuppetCaException {
        byte[] bytes = in.readNBytes(max + 1);
        if (bytes.length > max) {
            if (what == null) return new String(bytes, 0, max, StandardCharsets.UTF_8);
            throw new PuppetCaException(PuppetCaException.Kind.TOO_LARGE, "Puppet CA " + base + ": " + what + " is larger than " + max
                    + " bytes, the operator's cap; the answer was not read further", null);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * One exchange under one deadline: the request's timeout bounds the wait for the headers, and a timer closes the
     * body stream if it is still being read when the deadline passes; a read cut that way is reported as the deadline,
     * never as a short answer.
     */
    private <T> T exchange(HttpRequest req, String what, BodyReader<T> reader) throws PuppetCaException {
        AtomicBoolean expired = new AtomicBoolean();
        AtomicReference<InputStream> open = new AtomicReference<>();
        ScheduledFuture<?> watchdog = DEADLINES.schedule(() -> {
            expired.set(true);
            closeQuietly(open.get());
        }, limits.deadline().toNanos(), TimeUnit.NANOSECONDS);
        try {
            HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            InputStream in = resp.body();
            open.set(in);
            if (expired.get()) closeQuietly(in);
            try (in) {
                T value = reader.read(resp.statusCode(), in);
                if (expired.get()) throw late(what);
                return value;
            }
        } catch (StreamConstraintsException e) {
            if (expired.get()) throw late(what);
            throw new PuppetCaException(PuppetCaException.Kind.TOO_LARGE, "Puppet CA " + base + ": " + what + " holds a value past the operator's cap: "
                    + e.getOriginalMessage(), e);
        } catch (Capped.Exceeded e) {
            throw new PuppetCaException(PuppetCaException.Kind.TOO_LARGE, "Puppet CA " + base + ": " + e.getMessage(), e);
        } catch (java.net.http.HttpTimeoutException e) {
            throw late(what);
        } catch (IOException e) {
            if (expired.get()) throw late(what);
            if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j) {
                throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, what + " is not JSON: " + j.getOriginalMessage(), e);
            }
            throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "Puppet CA " + base + " unreachable: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "interrupted", e);
        } finally {
            watchdog.cancel(false);
        }
    }

    private PuppetCaException late(String what) {
        return new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "Puppet CA " + base + " did not answer " + what + " within "
                + limits.deadline().toSeconds() + "s (the whole answer, body included)", null);
    }

    private static void closeQuietly(InputStream in) {
        if (in == null) return;
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            // closing only to stop a read past its deadline
        }
    }

    /** Counts the bytes read through it; past {@code max} the read fails, so a streamed answer is cut at its cap. */
    private static final class Capped extends FilterInputStream {
        static final class Exceeded extends IOException {
            Exceeded(String message) {
                super(message);
            }
        }

        private final long max;
        private final String what;
        private long count;

        Capped(InputStream in, long max, String what) {
            super(in);
            this.max = max;
            this.what = what;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) counted(1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) counted(n);
            return n;
        }

        private void counted(int n) throws Exceeded {
            count += n;
            if (count > max) {
                throw new Exceeded(what + " is larger than " + max + " bytes, the operator's cap; the answer was not read further");
            }
        }
    }

    private PuppetCaException refusal(Answer a, String what) {
        String said = a.body == null ? "" : a.body.strip();
        if (said.length() > 300) said = said.substring(0, 300) + "...";
        PuppetCaException.Kind kind = a.status == 401 || a.status == 403 ? PuppetCaException.Kind.FORBIDDEN
                : a.status >= 500 ? PuppetCaException.Kind.UNREACHABLE : PuppetCaException.Kind.REFUSED;
        return new PuppetCaException(kind, "Puppet CA " + base + " answered HTTP " + a.status + " for " + what
                + (said.isEmpty() ? "" : ": " + said), null);
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " " + m);
    }
}
