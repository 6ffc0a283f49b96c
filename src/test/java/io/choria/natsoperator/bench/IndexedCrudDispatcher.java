package io.choria.natsoperator.bench;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.lang.reflect.Field;
import java.net.HttpURLConnection;
import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.BiConsumer;

/**
 * fabric8's CRUD mock dispatcher (7.5.2) with an index, so that the mock, not the operator, stops
 * setting the pace past ~10k stored objects.
 *
 * <p>Why: {@link KubernetesCrudDispatcher} keeps every object in one map keyed by its attribute set
 * (api, version, plural, namespace, name, labels) and answers a GET by name, and finds the current
 * object of every POST (exists?), PUT and PATCH, by scanning all entries and matching each key
 * against the query, all behind one read-write lock. With 10k unrelated Secrets each operator GET
 * costs a 10k-entry scan.
 *
 * <p>What is indexed: {@code api|version|plural|namespace|name} -> the entry's current map key
 * (the key itself changes with labels, so the map cannot be probed directly). Only exact lookups
 * use it: a query whose attributes are exactly api (optional), version (optional), plural,
 * namespace and name, with no label or field selector. Everything else (lists with label selectors,
 * watches and their initial ADDED events, DELETE, cluster-scoped objects) takes fabric8's own
 * scanning path unchanged. Writes keep going through fabric8's handlers (resourceVersion checks with
 * 409 on a stale PUT/PATCH, generation, status subresource, merge and JSON patches, watch events);
 * the index is maintained in {@link #processEvent}, which every write (POST, PUT, PATCH, DELETE)
 * goes through under fabric8's write lock, and fast reads take that same lock's read side (found
 * by reflection), so an indexed read sees exactly what the scan would have seen.
 *
 * <p>Also two hooks for the benchmark: every request before it is dispatched, and every stored
 * object after a write.
 */
final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {
    private static final Set<String> EXACT_KEYS = Set.of(KubernetesAttributesExtractor.API, KubernetesAttributesExtractor.VERSION,
            KubernetesAttributesExtractor.PLURAL, KubernetesAttributesExtractor.NAMESPACE, KubernetesAttributesExtractor.NAME);

    private final Map<String, AttributeSet> index = new ConcurrentHashMap<>();
    private final ReadWriteLock lock;
    private final KubernetesAttributesExtractor extractor;
    private volatile BiConsumer<RecordedRequest, MockResponse> onRequest = (r, resp) -> { };
    private volatile BiConsumer<String, String> onWrite = (path, state) -> { };

    IndexedCrudDispatcher() {
        try {
            Field f = KubernetesCrudDispatcher.class.getDeclaredField("lock");
            f.setAccessible(true);
            lock = (ReadWriteLock) f.get(this);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("fabric8's KubernetesCrudDispatcher changed: no 'lock' field", e);
        }
        extractor = (KubernetesAttributesExtractor) attributeExtractor;
    }

    /** Called with each request and its response, after dispatch. */
    void onRequest(BiConsumer<RecordedRequest, MockResponse> hook) {
        onRequest = hook;
    }

    /** Called (under the write lock) with the path and the new JSON (null: removed) of every stored write. */
    void onWrite(BiConsumer<String, String> hook) {
        onWrite = hook;
    }

    int size() {
        return map.size();
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        MockResponse response = super.dispatch(request);
        onRequest.accept(request, response);
        return response;
    }

    @Override
    public MockResponse handleGet(String path) {
        if (path.contains("watch=")) return super.handleGet(path);
        AttributeSet query = extractor.fromPath(path);
        String key = indexKey(query);
        if (key == null) return super.handleGet(path);
        Lock read = lock.readLock();
        read.lock();
        try {
            AttributeSet mapKey = index.get(key);
            String body = mapKey == null ? null : map.get(mapKey);
            return body == null ? new MockResponse().setResponseCode(HttpURLConnection.HTTP_NOT_FOUND)
                    : new MockResponse().setResponseCode(HttpURLConnection.HTTP_OK).setBody(body);
        } finally {
            read.unlock();
        }
    }

    @Override
    public Map.Entry<AttributeSet, String> findResource(AttributeSet attributes) {
        // called by fabric8's POST/PUT/PATCH handlers, under the write lock
        String key = indexKey(attributes);
        if (key == null) return super.findResource(attributes);
        AttributeSet mapKey = index.get(key);
        String body = mapKey == null ? null : map.get(mapKey);
        return body == null ? null : new AbstractMap.SimpleImmutableEntry<>(mapKey, body);
    }

    @Override
    public void processEvent(String path, AttributeSet pathAttributes, AttributeSet oldAttributes,
            GenericKubernetesResource resource, String newState) {
        super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
        if (oldAttributes != null) {
            String old = storedKey(oldAttributes);
            if (old != null) index.remove(old, oldAttributes);
        }
        if (newState != null) {
            // the same key fabric8 just stored under (see KubernetesCrudDispatcher.processEvent)
            AttributeSet stored = resource != null ? extractor.extract(resource) : extractor.fromResource(newState);
            if (!stored.containsKey(KubernetesAttributesExtractor.PLURAL)) stored = AttributeSet.merge(pathAttributes, stored);
            String key = storedKey(stored);
            if (key != null) index.put(key, stored);
        }
        onWrite.accept(path, newState);
    }

    @Override
    public void reset() {
        super.reset();
        index.clear();
    }

    /** The index key of an exact lookup, or null when the query is anything else. */
    private static String indexKey(AttributeSet query) {
        if (!query.containsKey(KubernetesAttributesExtractor.NAME) || !query.containsKey(KubernetesAttributesExtractor.NAMESPACE)
                || !query.containsKey(KubernetesAttributesExtractor.PLURAL)) {
            return null;
        }
        for (Attribute a : attributes(query)) {
            if (!EXACT_KEYS.contains(a.getKey().toString()) || a.getType() != io.fabric8.mockwebserver.crud.AttributeType.WITH) return null;
        }
        return key(query);
    }

    /** The index key of a stored entry, or null if it lacks plural, namespace or name (never indexed). */
    private static String storedKey(AttributeSet stored) {
        if (!stored.containsKey(KubernetesAttributesExtractor.NAME) || !stored.containsKey(KubernetesAttributesExtractor.NAMESPACE)
                || !stored.containsKey(KubernetesAttributesExtractor.PLURAL)) {
            return null;
        }
        return key(stored);
    }

    private static String key(AttributeSet s) {
        return value(s, KubernetesAttributesExtractor.API) + '|' + value(s, KubernetesAttributesExtractor.VERSION) + '|'
                + value(s, KubernetesAttributesExtractor.PLURAL) + '|' + value(s, KubernetesAttributesExtractor.NAMESPACE) + '|'
                + value(s, KubernetesAttributesExtractor.NAME);
    }

    private static String value(AttributeSet s, String key) {
        Attribute a = s.getAttribute(key);
        if (a == null) return "";
        StringBuilder sb = new StringBuilder();
        for (Object v : a.getValues()) sb.append(v).append(',');
        return sb.toString();
    }

    // AttributeSet keeps its attributes in a package-private field; reach them through reflection once.
    private static final Field ATTRIBUTES;

    static {
        try {
            ATTRIBUTES = AttributeSet.class.getDeclaredField("attributes");
            ATTRIBUTES.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<io.fabric8.mockwebserver.crud.Key, Attribute> attributeMap(AttributeSet s) {
        try {
            return (Map<io.fabric8.mockwebserver.crud.Key, Attribute>) ATTRIBUTES.get(s);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Iterable<Attribute> attributes(AttributeSet s) {
        return attributeMap(s).values();
    }
}
