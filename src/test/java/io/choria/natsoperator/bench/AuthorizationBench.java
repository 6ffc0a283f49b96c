package io.choria.natsoperator.bench;

import static io.choria.natsoperator.bench.PinnedListReloadBench.assemble;
import static io.choria.natsoperator.bench.PinnedListReloadBench.kib;
import static io.choria.natsoperator.bench.PinnedListReloadBench.median;
import static io.choria.natsoperator.bench.PinnedListReloadBench.ms;
import static io.choria.natsoperator.bench.PinnedListReloadBench.reload;

import io.choria.natsoperator.api.AuthorizationSpec;
import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.ChoriaPermissions;
import io.choria.natsoperator.pki.Digests;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.puppet.CertificateNames;
import io.choria.natsoperator.puppet.InventorySync;
import io.choria.natsoperator.puppet.NodeIdentities;
import io.choria.natsoperator.puppet.PinnedKeys;
import io.choria.natsoperator.testing.Examples;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * spec.authorization's cost on a real nats-server (issue 27): per list size N, two brokers side by side as the model renders
 * them, both with the pinned list of the same N certnames (the operator's cut: {@link NodeIdentities}, {@link ChoriaPermissions#entry},
 * {@link PinnedKeys}, the parts and manifest of {@code BrokerSecrets.pinnedList}, assembled by the rendered init container's
 * script): "pinned" with pinned_certs only (authorization off), "users" with each certname a NATS user (verify_and_map).
 * For each: the list's ConfigMaps and assembled files, the assembly; start to healthy and RSS (3 starts); a one-key change's
 * assembly and reload, RSS after it (3 rounds); then sequential connects of M real node certificates (EC P-256, DNS SAN =
 * certname, as Puppet 7 signs them), each a Choria node's connect (TLS, CONNECT, its 6 subscriptions, PING/PONG), alternating
 * between the two brokers; on "users" the connect of a pinned certificate whose names are no user (nats-server then walks
 * every user as an LDAP DN under its lock): one without SANs, one with a DNS SAN that is not a user, both forced into the list
 * as bare keys (the operator refuses such certificates); and revocation of a connected node, 3 rounds: "users" by one reload,
 * "pinned" by the reload and the epoch pass. Addresses 127.0.3.10 (pinned) and 127.0.3.11 (users).
 *
 * <pre>
 *   bench/run AuthorizationBench [sizes=10000,50000] [nodes=300] [rounds=3] [attempts=20]
 * </pre>
 *
 * The synthetic certnames (node-NNNNNN.example.net, 10 clients client-N.mcollective, 2 privileged admin-N.privileged.mcollective)
 * carry made-up keys: a sync's result is built from names as {@code InventorySync} builds it from certificates; the M
 * connecting nodes, the revoked ones and the two unmapped certificates are real certificates of one EC CA.
 */
public final class AuthorizationBench {
    static final String PINNED_ADDRESS = "127.0.3.10", USERS_ADDRESS = "127.0.3.11";
    static final String COLLECTIVE = AuthorizationSpec.DEFAULT_COLLECTIVES.get(0);
    static final int CLIENTS = 10, PRIVILEGED = 2;
    static final int PORT = 4222;

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = java.util.Arrays.stream((args.length > 0 ? args[0] : "10000,50000").split(",")).map(Integer::parseInt).toList();
        int nodes = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int attempts = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        System.out.println(ReconnectStormBench.machine());
        long t = System.nanoTime();
        Fleet fleet = Fleet.issue(nodes);
        System.out.printf("%d node certificates (EC P-256, DNS SAN = certname) and 2 unmapped ones made in %.1f s%n", nodes, ms(t) / 1000);
        List<String> rows = new ArrayList<>();
        for (int n : sizes) rows.addAll(run(fleet, n, rounds, attempts));
        System.out.println();
        rows.forEach(System.out::println);
    }

    // ---- the fleet: real certificates for the nodes that connect, made-up keys for the rest ----------------------------

    /** The estate: real node certificates, the two that map to no user, and a sync's result over N certnames. */
    static final class Fleet {
        final TestCa ca;
        final List<String> certnames;
        final List<TestCa.Pems> certs;
        /** No SAN at all (a certificate of a CA older than Puppet 6): nats-server maps it by its subject only. */
        final TestCa.Pems sanless;
        /** A DNS SAN that is no user (not in the inventory as a certname). */
        final TestCa.Pems stranger;
        final Map<String, X509Certificate> parsed = new HashMap<>();

        /** {@code certs}: the real nodes' certificates from {@code ca}, whose certnames are {@code certnames}. */
        Fleet(TestCa ca, List<String> certnames, List<TestCa.Pems> certs) {
            this.ca = ca;
            this.certnames = List.copyOf(certnames);
            this.certs = List.copyOf(certs);
            this.sanless = ca.issueClientCertificate("sanless.example.net", List.of());
            this.stranger = ca.issueClientCertificate("stranger.example.net", List.of("stranger.example.net"));
        }

        /** {@code nodes} real node certificates of a fresh EC CA, each with its certname as its one DNS SAN (as Puppet 7 signs them). */
        static Fleet issue(int nodes) {
            TestCa ca = TestCa.ecRoot("Authorization bench CA");
            List<String> names = new ArrayList<>();
            List<TestCa.Pems> certs = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                String certname = String.format("real-%04d.example.net", i);
                names.add(certname);
                certs.add(ca.issueClientCertificate(certname, List.of(certname)));
            }
            return new Fleet(ca, names, certs);
        }

        X509Certificate cert(TestCa.Pems p) throws Exception {
            X509Certificate c = parsed.get(p.certPem());
            if (c == null) {
                c = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(p.certPem().getBytes(StandardCharsets.US_ASCII)));
                parsed.put(p.certPem(), c);
            }
            return c;
        }

        String key(TestCa.Pems p) throws Exception {
            return TrustBundle.publicKeyPin(cert(p));
        }

        /**
         * A sync's result with {@code users} certnames signed: the real nodes (but {@code revoked}) and made-up ones to make up
         * the number, each name as {@code InventorySync} records it (names, certname, the names verify_and_map looks up).
         */
        InventorySync.Result synced(int users, Collection<String> revoked) throws Exception {
            Map<String, Set<String>> names = new HashMap<>(), byKey = new HashMap<>();
            Map<String, List<String>> mapped = new HashMap<>();
            for (int i = 0; i < certs.size(); i++) {
                if (revoked.contains(certnames.get(i))) continue;
                X509Certificate c = cert(certs.get(i));
                String key = TrustBundle.publicKeyPin(c);
                names.put(key, CertificateNames.of(c));
                byKey.put(key, Set.of(certnames.get(i)));
                mapped.put(key, CertificateNames.mapped(c));
            }
            for (int i = 0; i < users - certs.size(); i++) {
                String certname = synthetic(i);
                if (revoked.contains(certname)) continue;
                String key = Digests.sha256Hex("authorization bench key " + certname);
                names.put(key, Set.of(certname));
                byKey.put(key, Set.of(certname));
                mapped.put(key, List.of(certname));
            }
            return new InventorySync.Result(Set.copyOf(names.keySet()), names.size(), 0, "1", 0, Duration.ZERO, Set.of(), names, byKey, mapped);
        }

        /** The pinned list the operator cuts from {@code result}: with users (RevocationEnforcement's cut) or keys only. */
        PinnedKeys cut(PinnedKeys before, InventorySync.Result result, AuthorizationSpec authorization) throws Exception {
            Set<String> admitted = new HashSet<>(result.admitted());
            // Forced in without a user, as the brokers' own key is: the operator would refuse both (see NodeIdentities).
            String sanlessKey = key(sanless), strangerKey = key(stranger);
            admitted.add(sanlessKey);
            Set<String> entries = admitted;
            if (authorization != null) {
                NodeIdentities ids = NodeIdentities.of(result, admitted, authorization, sanlessKey);
                if (!ids.refused().isEmpty()) throw new IllegalStateException("refused: " + ids.summary());
                entries = new HashSet<>(ids.entries());
            }
            entries.add(strangerKey);
            return before.with(entries);
        }
    }

    /** A broker to be rendered with a pinned list (its pod's volume of parts: {@link Arm#write}) and spec.authorization (null: off). */
    static LocalBrokerCluster.Builder withList(LocalBrokerCluster.Builder b, AuthorizationSpec authorization) {
        return b.edit(nc -> nc.getSpec().setAuthorization(authorization)).pinnedList(PinnedKeys.none().list("choria", "broker"));
    }

    /**
     * For ReconnectStormBench ({@code -Dstorm.pinned=N}): lays out the rendered broker's list of {@code certnames} certnames,
     * the storm's node certificate ({@code certname}) among them, cut as the operator cuts it (with users if the broker was
     * rendered with spec.authorization), and assembles it with the rendered init container's script: what the pod holds before
     * the broker starts. Returns a line saying what was laid out.
     */
    static String layOutForStorm(LocalBrokerCluster broker, TestCa ca, String certname, TestCa.Pems node, int certnames) throws Exception {
        Fleet fleet = new Fleet(ca, List.of(certname), List.of(node));
        Arm arm = new Arm("storm", broker);
        arm.write(fleet.cut(arm.pins, fleet.synced(certnames, Set.of()), arm.authorization));
        long t = System.nanoTime();
        assemble(broker);
        double took = ms(t);
        Path users = Path.of(broker.paths(0).pinnedDir(), ChoriaPermissions.USERS_FILE);
        if ((arm.authorization != null) != Files.exists(users)) throw new IllegalStateException("users.conf " + (Files.exists(users) ? "written" : "missing"));
        return String.format("pinned list: %,d entries%s, assembled in %.0f ms", arm.pins.admitted().size(),
                arm.authorization != null ? String.format(", users.conf %s", kib(Files.size(users))) : " (authorization off)", took);
    }

    static String synthetic(int i) {
        if (i < CLIENTS) return "client-" + i + ".mcollective";
        if (i < CLIENTS + PRIVILEGED) return "admin-" + i + ".privileged.mcollective";
        return String.format("node-%06d.example.net", i);
    }

    // ---- one size ----------------------------------------------------------------------------------------------------------

    /** One broker of the two: its mode, its list in force and the files last written to its pod's volume. */
    static final class Arm implements AutoCloseable {
        final String name;
        /** spec.authorization as the model has it (defaults filled in), null when off. */
        final AuthorizationSpec authorization;
        final LocalBrokerCluster broker;
        PinnedKeys pins = PinnedKeys.none();
        final Map<String, String> files = new TreeMap<>();

        /** A broker rendered (not started) with a pinned list: {@link LocalBrokerCluster.Builder#pinnedList}, spec.authorization or not. */
        Arm(String name, LocalBrokerCluster broker) {
            this.name = name;
            this.broker = broker;
            this.authorization = broker.cluster().getSpec().getAuthorization();
        }

        static Arm render(String name, AuthorizationSpec authorization, TestCa ca, String address) {
            return new Arm(name, withList(LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).ca(ca).addresses(List.of(address)), authorization)
                    .render());
        }

        /** Writes the files of {@code next} that differ (as the kubelet updates the projected ConfigMaps); which. */
        Set<String> write(PinnedKeys next) {
            Map<String, String> now = broker.pinnedPartFiles(0, next.list(broker.names().namespace(), broker.names().cluster()));
            Map<String, String> diff = new TreeMap<>();
            now.forEach((path, content) -> { if (!content.equals(files.get(path))) diff.put(path, content); });
            broker.writePinnedParts(0, diff);
            files.putAll(diff);
            pins = next;
            return diff.keySet();
        }

        /** The ConfigMaps as {@code BrokerSecrets.pinnedList} renders them: sum, largest part, manifest (bytes). */
        long[] configMaps() {
            // The route password only names the operator's own user, with Choria Streams (not here).
            var maps = BrokerSecrets.pinnedList(broker.cluster(), broker.names(), pins.list(broker.names().namespace(), broker.names().cluster()),
                    "route password");
            long sum = 0, largestPart = 0, manifest = 0;
            for (var cm : maps) {
                long size = cm.getData().values().stream().mapToLong(v -> v.getBytes(StandardCharsets.UTF_8).length).sum();
                sum += size;
                if (cm.getMetadata().getName().equals(broker.names().pinnedListManifest())) manifest = size;
                else largestPart = Math.max(largestPart, size);
            }
            return new long[] {sum, largestPart, manifest};
        }

        long fileSize(String file) throws IOException {
            Path p = Path.of(file);
            return Files.exists(p) ? Files.size(p) : 0;
        }

        String url() {
            return broker.host(0);
        }

        @Override
        public void close() {
            broker.close();
        }
    }

    static List<String> run(Fleet fleet, int n, int rounds, int attempts) throws Exception {
        System.out.println("==== " + String.format("%,d", n) + " certnames, loadavg " + ReconnectStormBench.loadavg());
        List<String> out = new ArrayList<>();
        InventorySync.Result result = fleet.synced(n, Set.of());
        try (Arm pinned = Arm.render("pinned", null, fleet.ca, PINNED_ADDRESS);
             Arm users = Arm.render("users", new AuthorizationSpec(), fleet.ca, USERS_ADDRESS)) {
            List<Arm> arms = List.of(pinned, users);
            Map<Arm, List<Double>> assemblies = new HashMap<>(), starts = new HashMap<>(), startRss = new HashMap<>(), reloads = new HashMap<>(),
                    reloadRss = new HashMap<>();
            for (Arm a : arms) {
                for (var m : List.of(assemblies, starts, startRss, reloads, reloadRss)) m.put(a, new ArrayList<>());
                a.write(fleet.cut(a.pins, result, a.authorization));
                long t = System.nanoTime();
                assemble(a.broker);
                assemblies.get(a).add(ms(t));
            }
            // 1. What the operator carries and what the pod writes.
            out.add("");
            out.add(String.format("%,d certnames: the list", n));
            out.add("| mode | entries | ConfigMaps (16 parts + manifest) | largest part | manifest | pinned_certs.conf | users.conf | assembly (first) |");
            out.add("|---|---|---|---|---|---|---|---|");
            for (Arm a : arms) {
                long[] cms = a.configMaps();
                out.add(String.format("| %s | %,d | %s | %s | %,d B | %s | %s | %.0f ms |", a.name, a.pins.admitted().size(), kib(cms[0]), kib(cms[1]), cms[2],
                        kib(a.fileSize(a.broker.paths(0).pinnedFile())),
                        a.authorization == null ? "-" : kib(a.fileSize(a.broker.paths(0).pinnedDir() + "/" + ChoriaPermissions.USERS_FILE)),
                        assemblies.get(a).get(0)));
            }
            out.forEach(System.out::println);
            int printed = out.size();

            // 2. Start to healthy and RSS, 3 starts each (alternating); then one-key changes: assembly, reload, RSS after.
            for (int r = 0; r < rounds; r++) {
                for (Arm a : arms) {
                    if (a.broker.running(0)) a.broker.stop(0);
                    long t = System.nanoTime();
                    a.broker.start(0);
                    starts.get(a).add(ms(t));
                    Thread.sleep(1000);
                    startRss.get(a).add((double) BrokerLoadBench.rssBytes(a.broker.pid(0)));
                }
            }
            Set<String> gone = new HashSet<>();
            for (int r = 0; r < rounds; r++) {
                // one more made-up node leaves the inventory: one part and the manifest change
                gone.add(synthetic(CLIENTS + PRIVILEGED + r));
                InventorySync.Result next = fleet.synced(n, gone);
                for (Arm a : arms) {
                    Set<String> changed = a.write(fleet.cut(a.pins, next, a.authorization));
                    if (changed.size() != 2) throw new IllegalStateException(a.name + ": a one-key change rewrote " + changed + " files");
                    long t = System.nanoTime();
                    assemble(a.broker);
                    assemblies.get(a).add(ms(t));
                    reloads.get(a).add(reload(a.broker));
                    Thread.sleep(1000);
                    reloadRss.get(a).add((double) BrokerLoadBench.rssBytes(a.broker.pid(0)));
                }
            }
            out.add("");
            out.add(String.format("%,d certnames: the broker (median of %d; each)", n, rounds));
            out.add("| mode | start to healthy | RSS after start | one-key change: assembly | reload (signal to log) | RSS after reload |");
            out.add("|---|---|---|---|---|---|");
            for (Arm a : arms) {
                out.add(String.format("| %s | %.0f ms (%s) | %s | %.0f ms (%s) | %.0f ms (%s) | %s |", a.name, median(starts.get(a)), each(starts.get(a)),
                        BrokerLoadBench.mib(Math.round(median(startRss.get(a)))), median(assemblies.get(a).subList(1, assemblies.get(a).size())),
                        each(assemblies.get(a).subList(1, assemblies.get(a).size())), median(reloads.get(a)), each(reloads.get(a)),
                        BrokerLoadBench.mib(Math.round(median(reloadRss.get(a))))));
            }
            out.subList(printed, out.size()).forEach(System.out::println);
            printed = out.size();

            // 3. The connect of a node, mapped and not.
            out.addAll(connects(fleet, pinned, users, n, attempts));
            out.subList(printed, out.size()).forEach(System.out::println);
            printed = out.size();

            // 5. Revocation of a connected node.
            out.addAll(revocations(fleet, pinned, users, n, rounds));
            out.subList(printed, out.size()).forEach(System.out::println);
        }
        return out;
    }

    // ---- 3. connects ---------------------------------------------------------------------------------------------------

    static List<String> connects(Fleet fleet, Arm pinned, Arm users, int n, int attempts) throws Exception {
        int m = fleet.certs.size();
        String caPem = pinned.broker.caPem();
        // One SSLContext per connect, made beforehand: no TLS session is resumed and no context is built in the timed part.
        List<SSLContext> warm = new ArrayList<>(), p = new ArrayList<>(), u = new ArrayList<>();
        int warmUp = Math.min(50, m);
        for (int i = 0; i < warmUp; i++) warm.add(fleet.certs.get(i).clientContext(caPem));
        for (int i = 0; i < warmUp; i++) warm.add(fleet.certs.get(i).clientContext(caPem));
        for (int i = 0; i < m; i++) {
            p.add(fleet.certs.get(i).clientContext(caPem));
            u.add(fleet.certs.get(i).clientContext(caPem));
        }
        for (int i = 0; i < warmUp; i++) {
            RawNode.connect(pinned.url(), warm.get(i), fleet.certnames.get(i)).close();
            RawNode.connect(users.url(), warm.get(warmUp + i), fleet.certnames.get(i)).close();
        }
        List<Double> pMs = new ArrayList<>(), uMs = new ArrayList<>();
        long pCpu0 = BrokerLoadBench.cpuNanos(pinned.broker.pid(0)), uCpu0 = BrokerLoadBench.cpuNanos(users.broker.pid(0));
        for (int i = 0; i < m; i++) {
            // alternating which goes first, so that neither always follows the other
            for (int k = 0; k < 2; k++) {
                boolean toUsers = (i + k) % 2 == 1;
                long t = System.nanoTime();
                try (RawNode c = RawNode.connect((toUsers ? users : pinned).url(), (toUsers ? u : p).get(i), fleet.certnames.get(i))) {
                    if (!c.admitted()) throw new IllegalStateException(fleet.certnames.get(i) + " on " + (toUsers ? "users" : "pinned") + ": " + c.answer);
                    double d = ms(t);
                    (toUsers ? uMs : pMs).add(d);
                }
            }
        }
        double pCpu = (BrokerLoadBench.cpuNanos(pinned.broker.pid(0)) - pCpu0) / 1e6 / m, uCpu = (BrokerLoadBench.cpuNanos(users.broker.pid(0)) - uCpu0) / 1e6 / m;

        List<String> out = new ArrayList<>();
        out.add("");
        out.add(String.format("%,d certnames: connects (%d nodes, one after another, alternating brokers; TLS + CONNECT + 6 SUB + PING/PONG)", n, m));
        out.add("| certificate | mode | attempts | median | p90 | broker CPU per connect | median / pinned's |");
        out.add("|---|---|---|---|---|---|---|");
        double pMed = median(pMs);
        out.add(String.format("| node (DNS SAN = certname) | pinned | %d | %.2f ms | %.2f ms | %.2f ms | 1 |", m, pMed, p90(pMs), pCpu));
        out.add(String.format("| node (DNS SAN = certname) | users | %d | %.2f ms | %.2f ms | %.2f ms | %.2fx |", m, median(uMs), p90(uMs), uCpu, median(uMs) / pMed));
        for (var unmapped : List.of(Map.entry("no SAN", fleet.sanless), Map.entry("DNS SAN not a user", fleet.stranger))) {
            for (Arm a : List.of(pinned, users)) {
                List<SSLContext> ctx = new ArrayList<>();
                for (int i = 0; i < attempts; i++) ctx.add(unmapped.getValue().clientContext(caPem));
                List<Double> took = new ArrayList<>();
                String answer = null;
                long cpu0 = BrokerLoadBench.cpuNanos(a.broker.pid(0));
                for (int i = 0; i < attempts; i++) {
                    long t = System.nanoTime();
                    try (RawNode c = RawNode.connect(a.url(), ctx.get(i), unmapped.getValue() == fleet.sanless ? "sanless.example.net" : "stranger.example.net")) {
                        took.add(ms(t));
                        answer = c.answer;
                        if (c.admitted() != (a == pinned)) throw new IllegalStateException(unmapped.getKey() + " on " + a.name + ": " + c.answer);
                    }
                }
                double cpu = (BrokerLoadBench.cpuNanos(a.broker.pid(0)) - cpu0) / 1e6 / attempts;
                out.add(String.format("| %s (%s) | %s | %d | %.2f ms | %.2f ms | %.2f ms | %.2fx |", unmapped.getKey(), a == pinned ? "admitted" : answer.trim(),
                        a.name, attempts, median(took), p90(took), cpu, median(took) / pMed));
            }
        }
        return out;
    }

    static double p90(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        java.util.Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(s.size() * 0.9) - 1));
    }

    static String each(List<Double> xs) {
        StringBuilder b = new StringBuilder();
        for (double x : xs) b.append(b.length() == 0 ? "" : ", ").append(Math.round(x));
        return b.toString();
    }

    // ---- 5. revocation ---------------------------------------------------------------------------------------------------

    /**
     * Every real node connected to both brokers; per round one of them revoked (gone from the sync): the shrunk list written,
     * assembled and reloaded; "users" closes the node's connection with that reload (its user is gone), "pinned" only with the
     * second, epoch-only list (nats-server 2.9.10 checks open connections against the list it had before the reload).
     */
    static List<String> revocations(Fleet fleet, Arm pinned, Arm users, int n, int rounds) throws Exception {
        String caPem = pinned.broker.caPem();
        Map<Arm, List<RawNode>> held = new HashMap<>();
        for (Arm a : List.of(pinned, users)) {
            List<RawNode> conns = new ArrayList<>();
            for (int i = 0; i < fleet.certs.size(); i++) {
                RawNode c = RawNode.connect(a.url(), fleet.certs.get(i).clientContext(caPem), fleet.certnames.get(i));
                if (!c.admitted()) throw new IllegalStateException(fleet.certnames.get(i) + " on " + a.name + ": " + c.answer);
                conns.add(c);
            }
            held.put(a, conns);
        }
        List<String> revoked = new ArrayList<>();
        // the made-up nodes that left in the reload rounds stay out
        for (int r = 0; r < rounds; r++) revoked.add(synthetic(CLIENTS + PRIVILEGED + r));
        Map<String, List<Double>> t = new TreeMap<>();
        List<String> notes = new ArrayList<>();
        try {
            for (int r = 0; r < rounds; r++) {
                revoked.add(fleet.certnames.get(r));
                InventorySync.Result next = fleet.synced(n, revoked);
                for (Arm a : List.of(users, pinned)) {
                    RawNode node = held.get(a).get(r);
                    CompletableFuture<String> closed = node.watchClose();
                    PinnedKeys shrunk = fleet.cut(a.pins, next, a.authorization);
                    long t0 = System.nanoTime();
                    a.write(shrunk);
                    assemble(a.broker);
                    double assembled = ms(t0);
                    long signal = System.nanoTime();
                    double reloaded = reload(a.broker);
                    if (a == users) {
                        String why = closed.get(10, TimeUnit.SECONDS);
                        long at = node.closedAt;
                        add(t, "users: write + assemble", assembled);
                        add(t, "users: reload signal to log", reloaded);
                        add(t, "users: signal to connection closed", (at - signal) / 1e6);
                        add(t, "users: total (write to closed)", (at - t0) / 1e6);
                        if (r == 0) notes.add("users: the revoked node's connection ended with: " + (why.isBlank() ? "EOF" : why.trim()));
                    } else {
                        double firstPass = ms(t0);
                        Thread.sleep(300);
                        boolean stillOpen = !closed.isDone();
                        if (r == 0) notes.add("pinned: open 300 ms after the first reload: " + stillOpen);
                        long t1 = System.nanoTime();
                        a.write(shrunk.nextEpoch());
                        assemble(a.broker);
                        double assembled2 = ms(t1);
                        long signal2 = System.nanoTime();
                        reload(a.broker);
                        String why = closed.get(10, TimeUnit.SECONDS);
                        long at = node.closedAt;
                        add(t, "pinned: pass 1 (write + assemble + reload)", firstPass);
                        add(t, "pinned: pass 2 write + assemble", assembled2);
                        add(t, "pinned: pass 2 signal to connection closed", (at - signal2) / 1e6);
                        add(t, "pinned: total, passes back to back", firstPass + (at - t1) / 1e6);
                        if (r == 0) notes.add("pinned: the revoked node's connection ended with: " + (why.isBlank() ? "EOF" : why.trim()));
                    }
                }
            }
            for (Arm a : List.of(pinned, users)) {
                int alive = 0;
                for (int i = rounds; i < held.get(a).size(); i++) if (held.get(a).get(i).alive()) alive++;
                notes.add(a.name + ": admitted nodes still connected after the revocations: " + alive + " of " + (held.get(a).size() - rounds));
            }
        } finally {
            held.values().forEach(l -> l.forEach(RawNode::close));
        }
        List<String> out = new ArrayList<>();
        out.add("");
        out.add(String.format("%,d certnames: revoking a connected node (%d nodes connected to each broker; median of %d)", n, fleet.certs.size(), rounds));
        out.add("| step | median | each |");
        out.add("|---|---|---|");
        t.forEach((k, v) -> out.add(String.format("| %s | %.0f ms | %s |", k, median(v), each(v))));
        notes.forEach(x -> out.add("- " + x));
        return out;
    }

    private static void add(Map<String, List<Double>> t, String k, double v) {
        t.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }

    // ---- a Choria node's connect, by hand ---------------------------------------------------------------------------------

    /**
     * A node's connection to nats-server 2.9.10's client port without a client library (so the broker's part of the connect
     * is what is timed, and nothing reconnects): INFO in the clear, the TLS handshake, CONNECT, the subscriptions a Choria
     * node makes (five agents and its node subject), PING; the broker's first answer (PONG, or -ERR) is {@link #answer}.
     */
    static final class RawNode implements AutoCloseable {
        final Socket plain;
        final SSLSocket tls;
        final OutputStream out;
        final BufferedReader reader;
        final String answer;
        volatile long closedAt;

        private RawNode(Socket plain, SSLSocket tls, BufferedReader reader, String answer) throws IOException {
            this.plain = plain;
            this.tls = tls;
            this.out = tls.getOutputStream();
            this.reader = reader;
            this.answer = answer;
        }

        static RawNode connect(String host, SSLContext ctx, String certname) throws IOException {
            Socket plain = new Socket();
            plain.setTcpNoDelay(true);
            plain.connect(new InetSocketAddress(host, PORT), 5000);
            plain.setSoTimeout(10_000);
            String info = line(plain.getInputStream());
            if (!info.startsWith("INFO ")) throw new IOException("no INFO from " + host + ": " + info);
            SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(plain, host, PORT, true);
            tls.setUseClientMode(true);
            tls.startHandshake();
            StringBuilder cmd = new StringBuilder("CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":true,\"name\":\"")
                    .append(certname).append("\",\"lang\":\"bench\",\"version\":\"0\",\"protocol\":1}\r\n");
            int sid = 1;
            for (String agent : BrokerLoadBench.AGENTS) cmd.append("SUB ").append(COLLECTIVE).append(".broadcast.agent.").append(agent).append(' ').append(sid++).append("\r\n");
            cmd.append("SUB ").append(COLLECTIVE).append(".node.").append(certname).append(' ').append(sid).append("\r\nPING\r\n");
            OutputStream o = tls.getOutputStream();
            o.write(cmd.toString().getBytes(StandardCharsets.US_ASCII));
            o.flush();
            BufferedReader r = new BufferedReader(new InputStreamReader(tls.getInputStream(), StandardCharsets.US_ASCII));
            String answer;
            try {
                answer = r.readLine();
            } catch (IOException e) {
                answer = "closed: " + e.getMessage();
            }
            return new RawNode(plain, tls, r, answer == null ? "EOF" : answer);
        }

        boolean admitted() {
            return "PONG".equals(answer);
        }

        /** Reads until the broker ends the connection; the last thing it said ("" for a plain close). PINGs are answered. */
        CompletableFuture<String> watchClose() {
            CompletableFuture<String> f = new CompletableFuture<>();
            Thread th = new Thread(() -> {
                String last = "";
                try {
                    tls.setSoTimeout(0);
                    for (String l = reader.readLine(); l != null; l = reader.readLine()) {
                        if (l.equals("PING")) send("PONG\r\n");
                        else if (l.startsWith("-ERR")) {
                            last = l;
                            closedAt = System.nanoTime();
                            break;
                        }
                    }
                } catch (IOException e) {
                    // a reset: closed
                }
                if (closedAt == 0) closedAt = System.nanoTime();
                f.complete(last);
            }, "watch-close");
            th.setDaemon(true);
            th.start();
            return f;
        }

        /** PING, and a PONG within 5 s (answering the broker's own PINGs on the way). */
        boolean alive() {
            try {
                tls.setSoTimeout(5000);
                send("PING\r\n");
                for (String l = reader.readLine(); l != null; l = reader.readLine()) {
                    if (l.equals("PONG")) return true;
                    if (l.equals("PING")) send("PONG\r\n");
                    else if (l.startsWith("-ERR")) return false;
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        }

        private synchronized void send(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder b = new StringBuilder();
            for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) b.append((char) c);
            return b.toString().trim();
        }

        @Override
        public void close() {
            try {
                tls.close();
            } catch (IOException e) {
                // gone
            }
            try {
                plain.close();
            } catch (IOException e) {
                // gone
            }
        }
    }
}
