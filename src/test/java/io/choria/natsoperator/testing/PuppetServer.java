package io.choria.natsoperator.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A real Puppet Server 7 (Debian's {@code puppetserver} package) with its own CA, run as a child
 * process from a private directory (confdir, ssldir, cadir, vardir, logdir, rundir, codedir all
 * under {@code dir}), listening on 127.0.0.1 only, on a free port. Nothing under /etc or /var is
 * read or written (the launcher scripts are bypassed: the JVM is started with {@code --config
 * <dir>/puppetserver/conf.d}).
 *
 * <p>Start-up takes about a minute (JRuby); start one per test class ({@code @BeforeAll}) and
 * {@link #close()} it in {@code @AfterAll}; a JVM shutdown hook stops it too. A missing
 * {@code puppetserver} FAILS the test (see {@link Tools}).
 */
public final class PuppetServer implements AutoCloseable {

    /** The server's own certname (its host cert carries DNS:localhost and IP:127.0.0.1). */
    public static final String SERVER_CERTNAME = "localhost";
    private static final Path INSTALL_DIR = Path.of("/usr/share/puppetserver");
    private static final Path JAR = INSTALL_DIR.resolve("puppetserver.jar");

    /** How the fixture is configured. Immutable; each method returns a copy. */
    public static final class Options {
        private final String autosign; // "false", "true", "policy" or "exec:<path>"
        private final String challengePassword;
        private final boolean allowSubjectAltNames;
        private final List<String> statusClients;
        private final int port;
        private final Duration startTimeout;
        private final String heap;
        private final Map<String, String> environment;

        private Options(String autosign, String challengePassword, boolean allowSubjectAltNames,
                        List<String> statusClients, int port, Duration startTimeout, String heap) {
            this(autosign, challengePassword, allowSubjectAltNames, statusClients, port, startTimeout, heap, Map.of());
        }

        private Options(String autosign, String challengePassword, boolean allowSubjectAltNames,
                        List<String> statusClients, int port, Duration startTimeout, String heap, Map<String, String> environment) {
            this.autosign = autosign;
            this.challengePassword = challengePassword;
            this.allowSubjectAltNames = allowSubjectAltNames;
            this.statusClients = List.copyOf(statusClients);
            this.port = port;
            this.startTimeout = startTimeout;
            this.heap = heap;
            this.environment = Map.copyOf(environment);
        }

        /**
         * Autosign off, SANs allowed, no extra status clients, a free port, 300 s to start (about a
         * minute on an idle machine, near three on 2 busy cores).
         */
        public static Options defaults() {
            return new Options("false", null, true, List.of(), 0, Duration.ofSeconds(300), "768m");
        }

        /** {@code autosign = false} (the default): CSRs wait for {@link #sign}. */
        public Options autosignOff() {
            return new Options("false", null, allowSubjectAltNames, statusClients, port, startTimeout, heap, environment);
        }

        /** {@code autosign = true}: every CSR is signed on submission. */
        public Options autosignAll() {
            return new Options("true", null, allowSubjectAltNames, statusClients, port, startTimeout, heap, environment);
        }

        /**
         * Policy-based autosigning: an executable that signs a CSR only when its challengePassword
         * attribute equals {@code password}; other CSRs stay requested.
         */
        public Options autosignChallenge(String password) {
            Objects.requireNonNull(password);
            return new Options("policy", password, allowSubjectAltNames, statusClients, port, startTimeout, heap, environment);
        }

        /** {@code allow-subject-alt-names} in ca.conf (default true: needed to sign DNS SANs in CSRs). */
        public Options allowSubjectAltNames(boolean allow) {
            return new Options(autosign, challengePassword, allow, statusClients, port, startTimeout, heap, environment);
        }

        /**
         * Lets a client certificate with this certname GET /puppet-ca/v1/certificate_statuses/* and
         * /puppet-ca/v1/certificate_status/* (by default only certs with pp_cli_auth may).
         */
        public Options allowStatusClient(String certname) {
            List<String> clients = new ArrayList<>(statusClients);
            clients.add(certname);
            return new Options(autosign, challengePassword, allowSubjectAltNames, clients, port, startTimeout, heap, environment);
        }

        /** A fixed port (default 0: a free one). */
        public Options port(int port) {
            return new Options(autosign, challengePassword, allowSubjectAltNames, statusClients, port, startTimeout, heap, environment);
        }

        public Options startTimeout(Duration timeout) {
            return new Options(autosign, challengePassword, allowSubjectAltNames, statusClients, port, timeout, heap, environment);
        }

        /**
         * {@code autosign = <executable>}: Puppet's policy-based autosigning with a policy of the test's own
         * (certname as $1, the CSR on stdin, exit 0 signs).
         */
        public Options autosignPolicy(Path executable) {
            if (!Files.isExecutable(executable)) throw new IllegalArgumentException(executable + " is not executable");
            return new Options("exec:" + executable.toAbsolutePath().normalize(), null, allowSubjectAltNames, statusClients, port,
                    startTimeout, heap, environment);
        }

        /** An environment variable for the Puppet Server process (which passes its environment on to an autosign policy). */
        public Options environment(String name, String value) {
            Map<String, String> env = new java.util.HashMap<>(environment);
            env.put(name, value);
            return new Options(autosign, challengePassword, allowSubjectAltNames, statusClients, port, startTimeout, heap, env);
        }

        /** JVM heap (-Xmx), default 768m. */
        public Options heap(String heap) {
            return new Options(autosign, challengePassword, allowSubjectAltNames, statusClients, port, startTimeout, heap, environment);
        }
    }

    /** A certificate and its private key (PKCS#1 PEM, as Puppet writes them). */
    public record Credentials(String certname, Path cert, Path key) {}

    private final Path dir;
    private final int port;
    private final Process process;
    private final Thread shutdownHook;
    private final Duration startupTime;

    private PuppetServer(Path dir, int port, Process process, Thread shutdownHook, Duration startupTime) {
        this.dir = dir;
        this.port = port;
        this.process = process;
        this.shutdownHook = shutdownHook;
        this.startupTime = startupTime;
    }

    /**
     * Makes a fresh Puppet Server under {@code dir} (deleted first if present), sets up its CA
     * ({@code puppetserver ca setup}), starts it and waits until /status/v1/simple says running.
     */
    public static PuppetServer start(Path dir, Options options) throws IOException, InterruptedException {
        Tools.require("puppetserver", "apt-get install -y puppetserver (or run .ci/run)");
        Tools.requireOpenssl();
        if (!Files.isReadable(JAR)) {
            throw new AssertionError(JAR + " not found; this test needs Debian's puppetserver package: apt-get install -y puppetserver (or run .ci/run)");
        }
        dir = dir.toAbsolutePath().normalize();
        deleteTree(dir);
        int port = options.port > 0 ? options.port : freePort();
        for (String sub : List.of("ssl", "var", "log", "run", "gems", "code/environments/production/manifests",
                "puppetserver/conf.d", "puppetserver/services.d", "puppetserver/ca")) {
            Files.createDirectories(dir.resolve(sub));
        }
        writeConfig(dir, port, options);

        run(dir, Duration.ofSeconds(120), "puppetserver", "ca", "setup", "--config", dir.resolve("puppet.conf").toString(),
                "--certname", SERVER_CERTNAME, "--subject-alt-names", "DNS:localhost,IP:127.0.0.1");

        Path conf = dir.resolve("puppetserver");
        List<String> cmd = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms128m", "-Xmx" + options.heap,
                "-Djruby.logger.class=com.puppetlabs.jruby_utils.jruby.Slf4jLogger",
                "-Djruby.lib=/usr/share/jruby/lib",
                "-XX:+CrashOnOutOfMemoryError",
                "-XX:ErrorFile=" + dir.resolve("log/puppetserver_err_pid%p.log"),
                "-jar", JAR.toString(),
                "--config", conf.resolve("conf.d").toString(),
                "--bootstrap-config", conf.resolve("services.d").toString());
        long t0 = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder(cmd);
        builder.environment().putAll(options.environment);
        Process p = builder
                .directory(INSTALL_DIR.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("log/stdout.log").toFile())
                .start();
        Thread hook = new Thread(() -> stop(p), "puppetserver-stop-" + port);
        Runtime.getRuntime().addShutdownHook(hook);
        PuppetServer server = new PuppetServer(dir, port, p, hook, null);
        try {
            server.awaitRunning(options.startTimeout);
        } catch (Throwable e) {
            server.close();
            throw e;
        }
        return new PuppetServer(dir, port, p, hook, Duration.ofNanos(System.nanoTime() - t0));
    }

    private void awaitRunning(Duration timeout) throws IOException, InterruptedException {
        HttpClient client = httpClient();
        HttpRequest req = HttpRequest.newBuilder(url().resolve("/status/v1/simple")).timeout(Duration.ofSeconds(5)).GET().build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("puppetserver exited with " + process.exitValue() + " before it was ready\n" + logTail(60));
            }
            try {
                HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == 200 && r.body().trim().equals("running")) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(500);
        }
        throw new AssertionError("puppetserver not running on " + url() + " after " + timeout + " (last: " + last + ")\n" + logTail(60));
    }

    // ---------------------------------------------------------------- config

    private static void writeConfig(Path dir, int port, Options o) throws IOException {
        Path ps = dir.resolve("puppetserver");
        String autosign = o.autosign;
        if (autosign.equals("policy")) {
            Path script = dir.resolve("autosign-challenge.sh");
            Files.writeString(dir.resolve("autosign-challenge.password"), o.challengePassword);
            Files.writeString(script, """
                    #!/bin/sh
                    # Puppet policy-based autosigning: $1 is the certname, the CSR (PEM) is on stdin;
                    # exit 0 signs. Signs only a CSR whose challengePassword equals the password file.
                    PATH=/usr/bin:/bin:$PATH
                    want=$(cat "$(dirname "$0")/autosign-challenge.password")
                    got=$(openssl req -noout -text 2>/dev/null | sed -n 's/^ *challengePassword *: *//p' | head -n 1 | sed 's/[[:space:]]*$//')
                    [ -n "$want" ] && [ "$got" = "$want" ]
                    """);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            autosign = script.toString();
        } else if (autosign.startsWith("exec:")) {
            autosign = autosign.substring("exec:".length());
        }
        Files.writeString(dir.resolve("puppet.conf"), """
                # written by the PuppetServer test fixture
                [main]
                confdir = %1$s
                vardir = %1$s/var
                logdir = %1$s/log
                rundir = %1$s/run
                codedir = %1$s/code
                ssldir = %1$s/ssl
                certname = %2$s
                server = localhost
                serverport = %3$d
                ca_server = localhost
                ca_port = %3$d

                [server]
                cadir = %1$s/puppetserver/ca
                autosign = %4$s
                """.formatted(dir, SERVER_CERTNAME, port, autosign));
        Files.copy(Path.of("/etc/puppet/puppetserver/services.d/bootstrap.cfg"), ps.resolve("services.d/bootstrap.cfg"));
        Files.writeString(ps.resolve("services.d/ca.cfg"), """
                puppetlabs.services.ca.certificate-authority-service/certificate-authority-service
                puppetlabs.trapperkeeper.services.watcher.filesystem-watch-service/filesystem-watch-service
                """);
        Path c = ps.resolve("conf.d");
        Files.writeString(c.resolve("global.conf"), "global: { logging-config: \"" + ps.resolve("logback.xml") + "\" }\n");
        Files.writeString(ps.resolve("logback.xml"), """
                <configuration>
                  <appender name="F" class="ch.qos.logback.core.FileAppender">
                    <file>%s</file>
                    <encoder><pattern>%%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %%-5p [%%t] [%%c{2}] %%m%%n</pattern></encoder>
                  </appender>
                  <logger name="org.eclipse.jetty" level="INFO"/>
                  <root level="info"><appender-ref ref="F"/></root>
                </configuration>
                """.formatted(dir.resolve("log/puppetserver.log")));
        Files.writeString(c.resolve("webserver.conf"), """
                webserver: {
                  client-auth: want
                  ssl-host: 127.0.0.1
                  ssl-port: %d
                }
                """.formatted(port));
        Files.writeString(c.resolve("web-routes.conf"), """
                web-router-service: {
                  "puppetlabs.services.ca.certificate-authority-service/certificate-authority-service": "/puppet-ca"
                  "puppetlabs.services.master.master-service/master-service": "/puppet"
                  "puppetlabs.services.legacy-routes.legacy-routes-service/legacy-routes-service": ""
                  "puppetlabs.services.puppet-admin.puppet-admin-service/puppet-admin-service": "/puppet-admin-api"
                  "puppetlabs.trapperkeeper.services.status.status-service/status-service": "/status"
                  "puppetlabs.trapperkeeper.services.metrics.metrics-service/metrics-webservice": "/metrics"
                }
                """);
        Files.writeString(c.resolve("metrics.conf"), """
                metrics: { server-id: localhost, registries: { puppetserver: { reporters: { jmx: { enabled: false } } } } }
                """);
        Files.writeString(c.resolve("ca.conf"), """
                certificate-authority: {
                  allow-subject-alt-names: %s
                }
                """.formatted(o.allowSubjectAltNames));
        Files.writeString(c.resolve("puppetserver.conf"), """
                jruby-puppet: {
                  ruby-load-path: [/usr/lib/puppetserver/ruby/vendor_ruby]
                  gem-home: "%1$s/gems"
                  gem-path: ["%1$s/gems", "/usr/lib/puppetserver/vendored-jruby-gems"]
                  server-conf-dir: "%1$s"
                  server-code-dir: "%1$s/code"
                  server-var-dir: "%1$s/var"
                  server-run-dir: "%1$s/run"
                  server-log-dir: "%1$s/log"
                  max-active-instances: 1
                }
                http-client: {}
                profiler: { enabled: false }
                product: { check-for-updates: false }
                """.formatted(dir));
        Files.writeString(c.resolve("auth.conf"), authConf(o.statusClients));
    }

    /** Puppet Server 7's default CA/status rules (Debian's /etc/puppet/puppetserver/conf.d/auth.conf), plus the status clients. */
    private static String authConf(List<String> statusClients) {
        String cli = "{ extensions: { pp_cli_auth: \"true\" } }";
        String clients = statusClients.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", "));
        String statusRules = statusClients.isEmpty() ? "" : """
                    {
                      match-request: { path: "/puppet-ca/v1/certificate_statuses", type: path, method: get }
                      allow: [%1$s, %2$s]
                      sort-order: 400
                      name: "test fixture: cert statuses for status clients"
                    },
                    {
                      match-request: { path: "/puppet-ca/v1/certificate_status", type: path, method: get }
                      allow: [%1$s, %2$s]
                      sort-order: 400
                      name: "test fixture: cert status for status clients"
                    },
                """.formatted(cli, clients);
        return """
                authorization: {
                  version: 1
                  rules: [
                %1$s    {
                      match-request: { path: "/puppet-ca/v1/certificate/", type: path, method: get }
                      allow-unauthenticated: true
                      sort-order: 500
                      name: "puppetlabs certificate"
                    },
                    {
                      match-request: { path: "/puppet-ca/v1/certificate_revocation_list/ca", type: path, method: get }
                      allow-unauthenticated: true
                      sort-order: 500
                      name: "puppetlabs crl"
                    },
                    {
                      match-request: { path: "/puppet-ca/v1/certificate_request", type: path, method: [get, put] }
                      allow-unauthenticated: true
                      sort-order: 500
                      name: "puppetlabs csr"
                    },
                    {
                      match-request: { path: "/puppet-ca/v1/certificate_status", type: path, method: [get, put, delete] }
                      allow: %2$s
                      sort-order: 500
                      name: "puppetlabs cert status"
                    },
                    {
                      match-request: { path: "^/puppet-ca/v1/certificate_revocation_list$", type: regex, method: put }
                      allow: %2$s
                      sort-order: 500
                      name: "puppetlabs CRL update"
                    },
                    {
                      match-request: { path: "/puppet-ca/v1/certificate_statuses", type: path, method: get }
                      allow: %2$s
                      sort-order: 500
                      name: "puppetlabs cert statuses"
                    },
                    {
                      match-request: { path: "/puppet-ca/v1/expirations", type: path, method: get }
                      allow: "*"
                      sort-order: 500
                      name: "puppetlabs CA cert and CRL expirations"
                    },
                    {
                      match-request: { path: "/puppet-ca/v1/clean", type: path, method: put }
                      allow: %2$s
                      sort-order: 500
                      name: "puppetlabs cert clean"
                    },
                    {
                      match-request: { path: "/status/v1/services", type: path, method: get }
                      allow-unauthenticated: true
                      sort-order: 500
                      name: "puppetlabs status service - full"
                    },
                    {
                      match-request: { path: "/status/v1/simple", type: path, method: get }
                      allow-unauthenticated: true
                      sort-order: 500
                      name: "puppetlabs status service - simple"
                    },
                    {
                      match-request: { path: "/", type: path }
                      deny: "*"
                      sort-order: 999
                      name: "puppetlabs deny all"
                    }
                  ]
                }
                """.formatted(statusRules, cli);
    }

    // ---------------------------------------------------------------- accessors

    /** https://127.0.0.1:PORT (the CA API is under /puppet-ca/v1). */
    public URI url() {
        return URI.create("https://127.0.0.1:" + port);
    }

    public int port() { return port; }

    /** How long from launching the JVM until /status/v1/simple said running. */
    public Duration startupTime() { return startupTime; }

    public Path dir() { return dir; }
    public Path puppetConf() { return dir.resolve("puppet.conf"); }
    public Path confDir() { return dir.resolve("puppetserver/conf.d"); }
    public Path caDir() { return dir.resolve("puppetserver/ca"); }
    public Path sslDir() { return dir.resolve("ssl"); }
    public Path logFile() { return dir.resolve("log/puppetserver.log"); }
    /** ca_crt.pem: the bundle, intermediate (the signer) first, then the root. */
    public Path caCertPath() { return caDir().resolve("ca_crt.pem"); }
    /** ca_crl.pem: the intermediate's CRL then the root's, as the server wrote it last. */
    public Path crlPath() { return caDir().resolve("ca_crl.pem"); }
    /** The server's own certificate, which carries pp_cli_auth (the ca CLI uses it). */
    public Credentials serverCredentials() { return credentials(SERVER_CERTNAME); }

    public String caCertPem() { return read(caCertPath()); }
    public String crlPem() { return read(crlPath()); }

    /** Where {@link #generate} puts certname's cert and key. */
    public Credentials credentials(String certname) {
        return new Credentials(certname, sslDir().resolve("certs/" + certname + ".pem"),
                sslDir().resolve("private_keys/" + certname + ".pem"));
    }

    // ---------------------------------------------------------------- the ca CLI

    /**
     * {@code puppetserver ca generate}: a new key (RSA 4096, PKCS#1), a CSR (SANs: DNS:certname plus
     * {@code altNames}, e.g. "DNS:x.example" or "IP:10.0.0.1"; unprefixed names are DNS), signed by
     * the CA over its API (so allow-subject-alt-names must be on for extra SANs).
     */
    public Credentials generate(String certname, String... altNames) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("generate", "--certname", certname));
        if (altNames.length > 0) {
            args.add("--subject-alt-names");
            args.add(String.join(",", altNames));
        }
        ca(args.toArray(String[]::new));
        Credentials c = credentials(certname);
        if (!Files.isReadable(c.cert()) || !Files.isReadable(c.key())) {
            throw new AssertionError("puppetserver ca generate made no " + c);
        }
        return c;
    }

    public String sign(String certname) throws IOException, InterruptedException {
        return ca("sign", "--certname", certname);
    }

    public String revoke(String certname) throws IOException, InterruptedException {
        return ca("revoke", "--certname", certname);
    }

    /** Revokes (if signed) and deletes certname's cert and CSR on the CA; its serial stays in the CRL. */
    public String clean(String certname) throws IOException, InterruptedException {
        return ca("clean", "--certname", certname);
    }

    /** {@code puppetserver ca list --all --format json}: {"requested":[…],"signed":[…],"revoked":[…]}. */
    public String list() throws IOException, InterruptedException {
        return ca("list", "--all", "--format", "json");
    }

    /** Runs {@code puppetserver ca <args> --config <puppet.conf>}; fails unless it exits 0. Returns stdout+stderr. */
    public String ca(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("puppetserver", "ca"));
        cmd.addAll(List.of(args));
        cmd.add("--config");
        cmd.add(puppetConf().toString());
        return run(dir, Duration.ofSeconds(120), cmd.toArray(String[]::new));
    }

    // ---------------------------------------------------------------- HTTP

    /** A JDK HttpClient trusting ca_crt.pem, with no client certificate. */
    public HttpClient httpClient() {
        return httpClient(null);
    }

    /** A JDK HttpClient trusting ca_crt.pem that presents {@code client} (null: none). */
    public HttpClient httpClient(Credentials client) {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            try (InputStream in = Files.newInputStream(caCertPath())) {
                for (Certificate cert : cf.generateCertificates(in)) {
                    trust.setCertificateEntry("ca" + i++, cert);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (client != null) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                List<Certificate> chain = new ArrayList<>();
                try (InputStream in = Files.newInputStream(client.cert())) {
                    chain.addAll(cf.generateCertificates(in));
                }
                ks.setKeyEntry("client", readKey(client.key()), new char[0], chain.toArray(Certificate[]::new));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, new char[0]);
            }
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot build an HttpClient for " + url(), e);
        }
    }

    /** Reads a PEM private key, PKCS#1 ("RSA PRIVATE KEY", as Puppet writes) or PKCS#8. */
    public static PrivateKey readKey(Path pem) throws IOException {
        try (Reader r = new StringReader(Files.readString(pem)); PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair kp) {
                return conv.getKeyPair(kp).getPrivate();
            }
            if (o instanceof PrivateKeyInfo pki) {
                return conv.getPrivateKey(pki);
            }
            throw new IOException("no private key in " + pem + ": " + (o == null ? "nothing" : o.getClass().getName()));
        }
    }

    // ---------------------------------------------------------------- lifecycle

    /** Stops the server (its process tree) and waits for it to exit. The files stay under {@link #dir()}. */
    @Override
    public void close() {
        stop(process);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook runs (or ran) anyway
        }
    }

    private static void stop(Process p) {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The last {@code lines} lines of the server's log and stdout, for failure messages. */
    public String logTail(int lines) {
        return "--- " + logFile() + "\n" + tail(logFile(), lines) + "--- " + dir.resolve("log/stdout.log") + "\n"
                + tail(dir.resolve("log/stdout.log"), lines / 3);
    }

    // ---------------------------------------------------------------- helpers

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "(" + e + ")\n";
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String run(Path dir, Duration timeout, String... cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "cmd", ".out");
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", cmd) + " did not finish in " + timeout + ":\n" + Files.readString(out));
            }
            String output = Files.readString(out);
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " exited with " + p.exitValue() + ":\n" + output);
            }
            return output;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
