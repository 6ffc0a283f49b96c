package io.choria.natsoperator.puppet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.choria.natsoperator.pki.PemSslContexts;
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
import javax.net.ssl.SSLContext;

/**
 * The Puppet CA's HTTP API (Puppet Server 7, {@code /puppet-ca/v1}), as an agent uses it:
 * submit a CSR, fetch a signed certificate, fetch the CRL (none of which needs a client
 * certificate), and, with a client certificate that auth.conf allows, list the certificate
 * statuses. The CA's own server certificate is verified against the bundle the user gave.
 * Every call is bounded in time and in the size of what it reads.
 */
public final class PuppetCaClient {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** certificate_statuses at 10,000 nodes is about 8 MB; a PEM certificate or CRL far less. */
    static final int MAX_BODY_BYTES = 64 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One row of {@code certificate_statuses}: the certname, its state and the SHA-256 fingerprint of the certificate. */
    public record CertificateStatus(String name, String state, String fingerprint) {
        public boolean signed() {
            return "signed".equals(state);
        }
    }

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    private PuppetCaClient(URI base, SSLContext tls, Duration timeout) {
        this.base = base;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Anonymous, as an agent before it has a certificate. */
    public static PuppetCaClient anonymous(URI base, String caBundlePem) throws GeneralSecurityException {
        return new PuppetCaClient(base, PemSslContexts.trustingContext(caBundlePem), DEFAULT_TIMEOUT);
    }

    /** Presenting a Puppet-signed certificate (for certificate_statuses, which auth.conf must allow). */
    public static PuppetCaClient authenticated(URI base, String caBundlePem, String certPem, String keyPem) throws GeneralSecurityException {
        return new PuppetCaClient(base, PemSslContexts.clientContext(certPem, keyPem, caBundlePem), DEFAULT_TIMEOUT);
    }

    public URI base() {
        return base;
    }

    /** PUT /certificate_request/{certname}: Puppet stores it, and signs it at once when autosign allows. */
    public void submitRequest(String certname, String csrPem) throws PuppetCaException {
        HttpRequest req = request("certificate_request/" + encode(certname))
                .header("Content-Type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.ofString(csrPem)).build();
        Answer a = send(req);
        if (a.status != 200) throw refusal(a, "certificate request for " + certname);
    }

    /** GET /certificate/{certname}: the signed certificate, or empty while it is not signed. */
    public Optional<String> certificate(String certname) throws PuppetCaException {
        Answer a = send(request("certificate/" + encode(certname)).GET().build());
        if (a.status == 404) return Optional.empty();
        if (a.status != 200) throw refusal(a, "certificate " + certname);
        return Optional.of(a.body);
    }

    /** GET /certificate_request/{certname}: whether a CSR for it is waiting to be signed. */
    public boolean requestPending(String certname) throws PuppetCaException {
        Answer a = send(request("certificate_request/" + encode(certname)).GET().build());
        if (a.status == 404) return false;
        if (a.status != 200) throw refusal(a, "certificate request " + certname);
        return true;
    }

    /** GET /certificate_revocation_list/ca: the CA's CRL, PEM. */
    public String crl() throws PuppetCaException {
        Answer a = send(request("certificate_revocation_list/ca").GET().build());
        if (a.status != 200) throw refusal(a, "CRL");
        return a.body;
    }

    /** GET /certificate_statuses/any_key: every certname the CA knows, with its state. */
    public List<CertificateStatus> certificateStatuses() throws PuppetCaException {
        Answer a = send(request("certificate_statuses/any_key").header("Accept", "application/json").GET().build());
        if (a.status != 200) throw refusal(a, "certificate_statuses");
        try {
            JsonNode rows = JSON.readTree(a.body);
            List<CertificateStatus> out = new ArrayList<>(rows.size());
            for (JsonNode row : rows) {
                String fingerprint = row.path("fingerprints").path("SHA256").asText(row.path("fingerprint").asText(""));
                out.add(new CertificateStatus(row.path("name").asText(), row.path("state").asText(), fingerprint));
            }
            return out;
        } catch (IOException e) {
            throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "certificate_statuses is not JSON: " + e.getMessage(), e);
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve("/puppet-ca/v1/" + path)).timeout(timeout);
    }

    private static String encode(String certname) {
        return URLEncoder.encode(certname, StandardCharsets.UTF_8);
    }

    private record Answer(int status, String body) {}

    private Answer send(HttpRequest req) throws PuppetCaException {
        try {
            HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = resp.body()) {
                byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
                if (bytes.length > MAX_BODY_BYTES) {
                    throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, req.uri().getPath() + " answered more than "
                            + MAX_BODY_BYTES + " bytes", null);
                }
                return new Answer(resp.statusCode(), new String(bytes, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "Puppet CA " + base + " unreachable: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "interrupted", e);
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
