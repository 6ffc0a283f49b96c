package io.choria.natsoperator.inputs;

import io.choria.natsoperator.pki.CaMaterial;
import io.choria.natsoperator.pki.CaSecretKeys;
import io.choria.natsoperator.pki.CertificateAuthority;
import io.choria.natsoperator.pki.PkiException;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CA as loaded from its Secret, parsed and key-checked once per version of that Secret
 * (uid and resourceVersion), not on every reconcile: a CA Secret changes rarely, and loading it
 * (PEM parsing, a signature to prove the key matches) was a fifth of a settled operator's CPU.
 * One entry per Secret and key names; a new version replaces it. The CA's validity is still
 * checked on every use, so a CA that expires while cached is reported as {@link #load} would.
 * A Secret that cannot be loaded is not cached: the next reconcile tries again.
 */
public class CaCache {
    /** No caching: every call loads (render, tests). */
    public static final CaCache NONE = new CaCache() {
        @Override
        public CertificateAuthority load(Secret caSecret, String certKey, String keyKey, Instant now) throws PkiException {
            return loadNow(caSecret, certKey, keyKey, now);
        }
    };

    private record Key(String namespace, String name, String certKey, String keyKey) {}

    private record Entry(String uid, String resourceVersion, CertificateAuthority ca) {}

    private final Map<Key, Entry> entries = new ConcurrentHashMap<>();

    public CertificateAuthority load(Secret caSecret, String certKey, String keyKey, Instant now) throws PkiException {
        var meta = caSecret.getMetadata();
        Key key = new Key(meta.getNamespace(), meta.getName(), certKey, keyKey);
        Entry e = entries.get(key);
        if (e != null && meta.getResourceVersion() != null && Objects.equals(e.uid(), meta.getUid())
                && Objects.equals(e.resourceVersion(), meta.getResourceVersion()) && e.ca().validAt(now)) {
            return e.ca();
        }
        CertificateAuthority ca = loadNow(caSecret, certKey, keyKey, now);
        entries.put(key, new Entry(meta.getUid(), meta.getResourceVersion(), ca));
        return ca;
    }

    static CertificateAuthority loadNow(Secret caSecret, String certKey, String keyKey, Instant now) throws PkiException {
        CaMaterial material = CaSecretKeys.select(BrokerCertificates.bytes(caSecret), certKey, keyKey);
        return CertificateAuthority.load(material.certPem(), material.keyPem(), now);
    }
}
