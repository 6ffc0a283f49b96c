package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The config ConfigMap and the Secrets the brokers mount. */
public final class BrokerSecrets {
    public static final String PASSWORD_KEY = "password";
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private BrokerSecrets() {}

    /** nats.conf; {@code pinned}: it includes the client port's pinned_certs allow-list (revocation enforced). */
    public static ConfigMap config(NatsCluster nc, Names names, BrokerPaths paths, boolean pinned, PortPinnedCerts ports) {
        return new ConfigMapBuilder()
                .withMetadata(Owned.meta(nc, names.configMap(), "config"))
                .addToData(NatsConfig.CONFIG_FILE, NatsConfig.mainConfig(names, nc.getSpec(), paths, pinned, ports))
                .build();
    }

    /**
     * The client port's allow-list (public keys: no secret) as {@link PinnedList#PARTS} part ConfigMaps and, last, the
     * manifest that names them: the operator writes them in this order, so a pod never sees a manifest before its parts.
     */
    public static List<ConfigMap> pinnedList(NatsCluster nc, Names names, PinnedList list, String routePassword) {
        // With spec.authorization and Choria Streams the operator's own user is choria's too, so it is in the users file.
        List<String> more = ChoriaPermissions.enabled(nc.getSpec()) && ChoriaAccounts.enabled(nc.getSpec())
                ? List.of(ChoriaAccounts.operatorUser(routePassword)) : List.of();
        List<ConfigMap> objects = new ArrayList<>();
        for (int i = 0; i < PinnedList.PARTS; i++) {
            objects.add(new ConfigMapBuilder().withMetadata(Owned.meta(nc, names.pinnedListPart(i), "pinned-list"))
                    .addToData(PinnedList.PART_KEY, list.renderPart(i)).build());
        }
        objects.add(new ConfigMapBuilder().withMetadata(Owned.meta(nc, names.pinnedListManifest(), "pinned-list"))
                .addToData(PinnedList.MANIFEST, list.renderManifest(names.namespace(), names.cluster(), nc.getSpec().getAuthorization(), more)).build());
        return objects;
    }

    /** The key and CSR waiting for the Puppet CA's signature: the key never leaves the cluster, and survives a restart. */
    public static Secret certificateRequest(NatsCluster nc, Names names, Map<String, String> request) {
        return secret(nc, names.certificateRequestSecret(), "tls", "Opaque", request);
    }

    /** routes.conf and, with Choria Streams, accounts.conf: what nats.conf includes that holds a secret. */
    public static Secret routesConfig(NatsCluster nc, Names names, String password) {
        String routes = NatsConfig.routesConfig(names, nc.getSpec().getSize(), nc.getSpec().getPorts().getCluster(), password);
        Map<String, String> files = new LinkedHashMap<>();
        files.put(NatsConfig.ROUTES_FILE, routes);
        if (ChoriaAccounts.enabled(nc.getSpec())) files.put(ChoriaAccounts.ACCOUNTS_FILE, ChoriaAccounts.accountsFile(nc.getSpec(), password));
        return secret(nc, names.routesConfigSecret(), "routes", "Opaque", files);
    }

    /** The system account Secret's keys with spec.authorization: the nkey seeds ({@code SU...}) of the system account and of the operator. */
    public static final String SYSTEM_NKEY_KEY = "nkey", OPERATOR_NKEY_KEY = "operator-nkey";

    /**
     * The system account's user and password (spec.streams): what a person gives the {@code nats} CLI or Choria's config;
     * with spec.authorization its nkey seed instead, and the operator's.
     */
    public static Secret systemAccount(NatsCluster nc, Names names, String routePassword) {
        Map<String, String> values = new LinkedHashMap<>();
        if (ChoriaPermissions.enabled(nc.getSpec())) {
            // spec.authorization: no password is asked on the client port; the system account takes this nkey (nats --nkey),
            // and the operator's own user in choria takes the other.
            values.put(SYSTEM_NKEY_KEY, ChoriaAccounts.systemNKey(routePassword).encodedSeed());
            values.put(OPERATOR_NKEY_KEY, ChoriaAccounts.operatorNKey(routePassword).encodedSeed());
        } else {
            values.put("user", ChoriaAccounts.SYSTEM_USER);
            values.put(PASSWORD_KEY, ChoriaAccounts.systemPassword(routePassword));
        }
        return secret(nc, names.systemAccountSecret(), "system-account", "Opaque", values);
    }

    /** The route password Secret the operator owns when the user names none. Created once, never rotated. */
    public static Secret generatedRoutePassword(NatsCluster nc, Names names, String password) {
        return secret(nc, names.routePasswordSecret(), "routes", "Opaque", Map.of(PASSWORD_KEY, password));
    }

    /** 32 characters from a 57-letter alphabet without look-alikes: about 186 bits, URL-safe. */
    public static String newPassword() {
        StringBuilder b = new StringBuilder(32);
        for (int i = 0; i < 32; i++) b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        return b.toString();
    }

    static Secret secret(NatsCluster nc, String name, String component, String type, Map<String, String> values) {
        Map<String, String> data = new LinkedHashMap<>();
        values.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        return new SecretBuilder()
                .withMetadata(Owned.meta(nc, name, component))
                .withType(type)
                .withData(data)
                .build();
    }

    /** The broker's certificate, key and CA bundle from its TLS Secret ({@link Names#tlsSecret}); null when absent or incomplete. */
    public static TlsFiles tlsFiles(Secret s) {
        String cert = decode(s, "tls.crt"), key = decode(s, "tls.key"), ca = decode(s, "ca.crt");
        return cert == null || key == null || ca == null ? null : new TlsFiles(cert, key, ca);
    }

    public static String decode(Secret s, String key) {
        if (s == null) return null;
        if (s.getData() != null && s.getData().get(key) != null) {
            return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
        }
        if (s.getStringData() != null) return s.getStringData().get(key);
        return null;
    }
}
